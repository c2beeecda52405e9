// How a report runs its queries. On PostgreSQL, with JIT off: a report's plan is costed in
// the millions (correlated EXISTS per candidate), which crosses jit_above_cost, and compiling
// it took 0.7 s of a 1.2 s risk page that runs in 0.5 s without. SET LOCAL needs a
// transaction and ends with it. SQLite has no JIT; its single connection is used as is.

import { sql, type Kysely } from 'kysely';
import type { Database, Engine } from '../store/schema.ts';

export async function withReportSession<T>(db: Kysely<Database>, engine: Engine, run: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (engine !== 'postgres') return run(db);
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return run(trx);
  });
}
