// From parsed global options to an open Context. The CLI works on the local data directory and
// database directly, like an admin console on the CA host, so every command opens the store
// itself and closes it before the process exits.

import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../app/context.ts';
import { ConfigError, loadConfig, type ConfigOverrides } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { FleetPkiError, NotFound } from '../errors.ts';
import { CrlScheduler } from '../revocation/crl-scheduler.ts';
import { parseStoreUrl } from '../store/url.ts';
import { createOutput, type Output } from './output.ts';

/** The global flags: the config overrides plus output format. */
export interface GlobalOptions extends ConfigOverrides {
  json?: boolean;
}

export function overrides(globals: GlobalOptions): ConfigOverrides {
  const { config, dataDir, db, listen, publicUrl, logLevel, estListen } = globals;
  return { config, dataDir, db, listen, publicUrl, logLevel, estListen };
}

/** Global options are accepted before or after the subcommand; commander merges them here. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The database URL is part of the configuration: a bad one is a configuration error (exit 2). */
export function loadCliConfig(cmd: Command): Config {
  const globals = globalsOf(cmd);
  const config = loadConfig(overrides(globals));
  try {
    parseStoreUrl(config.db);
  } catch (error) {
    if (!(error instanceof FleetPkiError)) throw error;
    throw new ConfigError(globals.config ?? process.env.FLEETPKI_CONFIG ?? 'environment and flags', [`db: ${error.message}`]);
  }
  return config;
}

/**
 * Opening SQLite creates the file, so a mistyped --data-dir would silently start an empty
 * fleet; only init and serve may do that.
 */
function assertInitialised(config: Config): void {
  const target = parseStoreUrl(config.db);
  if (target.engine === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
    throw new NotFound(`no fleetpki database at ${target.path}: run \`fleetpki init\` first, or pass the right --data-dir or --db`);
  }
}

/** Audit events name the person at the console, not just "the CLI". */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return `cli:${name}`;
}

export interface Session {
  ctx: Context;
  out: Output;
  actor: string;
  config: Config;
}

/**
 * Logs go to stderr for one-shot commands: stdout carries the command's result, which
 * scripts parse. (`serve` keeps pino's default of stdout, as a service should.)
 */
export async function withSession<T>(cmd: Command, run: (session: Session) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const config = loadCliConfig(cmd);
  if (!options.create) assertInitialised(config);
  const log = pino({ level: config.logLevel, base: { service: 'fleetpki' } }, pino.destination(2));
  const ctx = await openContext(config, { log });
  const out = createOutput(Boolean(globalsOf(cmd).json));
  // A revocation made here must reach the CRLs now, not at a running server's next refresh.
  const crls = new CrlScheduler(ctx).listen();
  try {
    const result = await run({ ctx, out, actor: cliActor(), config });
    await crls.flush().catch((error: Error) => out.note(`warning: CRLs not re-signed (${error.message}); run \`fleetpki crl generate\``));
    return result;
  } finally {
    await crls.stop();
    await closeContext(ctx);
  }
}

export function outputOf(cmd: Command): Output {
  return createOutput(Boolean(globalsOf(cmd).json));
}
