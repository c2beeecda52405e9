// Callers turn a duplicate (issuer+serial, device serial, profile name) into Conflict or
// a retry; both engines report it differently, so the test lives in one place.

const PG_UNIQUE_VIOLATION = '23505';
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown };
  if (e.code === PG_UNIQUE_VIOLATION) return true;
  // A duplicate primary key is the same mistake as any other duplicate: PostgreSQL
  // reports both as 23505, SQLite distinguishes them.
  if (e.errcode === SQLITE_CONSTRAINT_UNIQUE || e.errcode === SQLITE_CONSTRAINT_PRIMARYKEY) return true;
  return typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed');
}
