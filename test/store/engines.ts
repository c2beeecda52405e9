// The engines the store suite runs on. SQLite always; PostgreSQL when
// FLEETPKI_TEST_PG_URL names a server that answers, in a schema of its own dropped after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Engine } from '../../src/store/schema.ts';

export interface EngineCase {
  engine: Engine;
  url: string;
  /** Set when the engine is unavailable: the suite is skipped with this reason. */
  skip?: string;
  cleanup(): Promise<void>;
}

export function sqliteCase(): EngineCase {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-store-'));
  // A nested path checks that openStore creates missing parent directories.
  const url = `sqlite:${join(dir, 'nested', 'data', 'fleet.db')}`;
  return { engine: 'sqlite', url, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function postgresCase(): Promise<EngineCase> {
  const base = process.env.FLEETPKI_TEST_PG_URL;
  const none = { engine: 'postgres' as const, url: '', cleanup: async () => {} };
  if (!base) return { ...none, skip: 'FLEETPKI_TEST_PG_URL is not set' };
  const problem = await probe(base);
  if (problem) return { ...none, skip: `PostgreSQL at FLEETPKI_TEST_PG_URL does not answer: ${problem}` };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return {
    engine: 'postgres',
    url: url.toString(),
    cleanup: () => withClient(base, (c) => c.query(`drop schema if exists ${schema} cascade`)),
  };
}

async function probe(url: string): Promise<string | null> {
  try {
    await withClient(url, (c) => c.query('select 1'));
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

async function withClient(url: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
