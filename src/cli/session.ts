// From parsed global options to an open Context. The CLI works on the local data directory and
// database directly, like an admin console on the CA host, so every command opens the store
// itself and closes it before the process exits.

import { userInfo } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../app/context.ts';
import { loadConfig, type ConfigOverrides } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createOutput, type Output } from './output.ts';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  db?: string;
  listen?: string;
  publicUrl?: string;
  logLevel?: string;
  json?: boolean;
}

export function overrides(globals: GlobalOptions): ConfigOverrides {
  const { config, dataDir, db, listen, publicUrl, logLevel } = globals;
  return { config, dataDir, db, listen, publicUrl, logLevel };
}

/** Global options are accepted before or after the subcommand; commander merges them here. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function loadCliConfig(cmd: Command): Config {
  return loadConfig(overrides(globalsOf(cmd)));
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
export async function withSession<T>(cmd: Command, run: (session: Session) => Promise<T>): Promise<T> {
  const config = loadCliConfig(cmd);
  const log = pino({ level: config.logLevel, base: { service: 'fleetpki' } }, pino.destination(2));
  const ctx = await openContext(config, { log });
  try {
    return await run({ ctx, out: createOutput(Boolean(globalsOf(cmd).json)), actor: cliActor(), config });
  } finally {
    await closeContext(ctx);
  }
}

export function outputOf(cmd: Command): Output {
  return createOutput(Boolean(globalsOf(cmd).json));
}
