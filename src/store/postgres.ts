// PostgreSQL through a pg Pool, set up so rows look the same as SQLite's.
import pg from 'pg';
import { PostgresDialect } from 'kysely';

const POOL_SIZE = 10;
const INT8_OID = 20;

export interface PostgresTarget {
  connectionString: string;
  schema: string | null;
  options: string | null;
}

export function createPostgresDialect(target: PostgresTarget): PostgresDialect {
  return new PostgresDialect({ pool: createPool(target) });
}

function createPool(target: PostgresTarget): pg.Pool {
  const searchPath = target.schema ? `-c search_path=${target.schema}` : null;
  const options = [target.options, searchPath].filter((o) => o).join(' ') || undefined;
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: POOL_SIZE,
    options,
    types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener
  // that would crash the process. The next query on a new client reports the failure.
  pool.on('error', () => {});
  return pool;
}

/**
 * pg returns int8 (bigint columns, count(*)) as strings to avoid precision loss. Our
 * bigints (audit seq, counts) stay far below 2^53, so they come back as numbers like
 * SQLite's; a value that would lose precision throws instead of silently rounding.
 * Scoped to this pool: other pg users in the process keep the default.
 */
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === INT8_OID && format !== 'binary') return parseInt8;
  return pg.types.getTypeParser(oid, format as 'text');
}

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}
