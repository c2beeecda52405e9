// Case-insensitive substring search written once for both engines: ILIKE is PostgreSQL
// only, and SQLite's LIKE has no default escape character, so the escape is explicit.
import { sql, type RawBuilder, type SqlBool } from 'kysely';

export function containsCi(column: string, needle: string): RawBuilder<SqlBool> {
  // A user searching for "a_b" or "50%" means those characters, not wildcards.
  const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`;
}
