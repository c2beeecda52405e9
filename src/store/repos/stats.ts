// Aggregates for the dashboard, computed by the database: with a million certificates the
// server must never fetch rows to count them. Every query here is a GROUP BY over an index
// (devices.status, certificates(status, not_after)), so its cost follows the number of
// matching index entries, not the size of the rows.
import { sql, type Kysely } from 'kysely';
import type { CertificateStatus, Database, DeviceStatus } from '../schema.ts';

export async function devicesByStatus(db: Kysely<Database>): Promise<Record<DeviceStatus, number>> {
  const rows = await db.selectFrom('devices').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status').execute();
  const counts: Record<DeviceStatus, number> = { registered: 0, active: 0, suspended: 0, decommissioned: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

export async function certificatesByStatus(db: Kysely<Database>): Promise<Record<CertificateStatus, number>> {
  const rows = await db.selectFrom('certificates').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status').execute();
  const counts: Record<CertificateStatus, number> = { valid: 0, on_hold: 0, revoked: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** Valid certificates whose notAfter is in [from, to): ISO text compares as time. */
export async function countValidExpiring(db: Kysely<Database>, from: string | null, to: string): Promise<number> {
  let query = db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'valid')
    .where('not_after', '<', to);
  if (from !== null) query = query.where('not_after', '>=', from);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

/**
 * Valid certificates per UTC day of their notAfter in [from, to). The day is the first ten
 * characters of the stored ISO timestamp (substr works the same on SQLite and PostgreSQL).
 */
export async function validExpiringPerDay(db: Kysely<Database>, from: string, to: string): Promise<{ day: string; count: number }[]> {
  const day = sql<string>`substr(${sql.ref('not_after')}, 1, 10)`;
  const rows = await db
    .selectFrom('certificates')
    .select((eb) => [day.as('day'), eb.fn.countAll().as('n')])
    .where('status', '=', 'valid')
    .where('not_after', '>=', from)
    .where('not_after', '<', to)
    .groupBy(day)
    .orderBy(day)
    .execute();
  return rows.map((row) => ({ day: row.day, count: Number(row.n) }));
}
