// Everything a front end (REST API, CLI, later EST) needs, opened once per process.

import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { CaRegistry } from '../ca/registry.ts';
import type { Config } from '../config/schema.ts';
import { resolvePassphrase } from '../signer/passphrase.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { openStore, type Store } from '../store/open.ts';
import type { Database } from '../store/schema.ts';

/** Raised after a change to certificates' revocation status has been committed. */
export interface RevocationEvent {
  /** Issuing CA ids whose CRLs and OCSP answers are now stale. */
  issuerIds: string[];
  certificateIds: string[];
}

export interface ContextEvents {
  revocation: [RevocationEvent];
}

export interface Context {
  config: Config;
  store: Store;
  db: Kysely<Database>;
  ledger: GroupCommit;
  cas: CaRegistry;
  log: Logger;
  /** The CA key passphrase, read on first use (never logged). */
  passphrase: () => string;
  /** In-process notifications (CRL regeneration, OCSP cache invalidation listen here). */
  events: EventEmitter<ContextEvents>;
}

export interface OpenOptions {
  log?: Logger;
  env?: NodeJS.ProcessEnv;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'fleetpki' }, redact: ['req.headers.authorization', '*.passphrase', '*.token'] });
}

export async function openContext(config: Config, options: OpenOptions = {}): Promise<Context> {
  const env = options.env ?? process.env;
  const store = await openStore(config.db);
  let passphrase: string | undefined;
  return {
    config,
    store,
    db: store.db,
    ledger: new GroupCommit(store.db, store.engine),
    cas: new CaRegistry(store.db, config.publicUrl),
    log: options.log ?? createLogger(config),
    passphrase: () => (passphrase ??= resolvePassphrase(config, env, true).value),
    events: new EventEmitter<ContextEvents>(),
  };
}

export async function closeContext(ctx: Context): Promise<void> {
  await ctx.ledger.idle();
  await ctx.store.close();
}
