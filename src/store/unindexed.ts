// A column as a value no index can serve. SQLite keeps no statistics here, so it takes an
// equality on a low-cardinality column (a certificate's status) for a selective one and
// walks the (status, not_after) index, reading every valid certificate, where a lookup by
// device would read a handful. `column || ''` leaves the term as a filter; PostgreSQL,
// which has statistics, plans the same either way.

import { sql, type RawBuilder } from 'kysely';

export function unindexed(column: string): RawBuilder<string> {
  return sql<string>`${sql.ref(column)} || ''`;
}
