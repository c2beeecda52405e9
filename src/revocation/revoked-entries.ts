// Reads a CA's revoked and held certificates one expiry month at a time and encodes them as
// CRL entries grouped by partition shard. Month by month, through the (status, not_after)
// index, so a million revocations never sit in memory as rows at once and no single query
// holds the database for long.

import { sql, type Kysely } from 'kysely';
import { REVOCATION_REASONS, type RevocationReason } from '../ca/revocation-reasons.ts';
import type { Database } from '../store/schema.ts';
import { encodeCrlEntry } from '../x509/crl.ts';
import { monthBounds } from './partition.ts';

const HOLD = REVOCATION_REASONS.certificateHold;

function reasonCode(status: string, reason: string | null): number {
  if (status === 'on_hold') return HOLD;
  return REVOCATION_REASONS[reason as RevocationReason] ?? REVOCATION_REASONS.unspecified;
}


/**
 * Entries of the certificates whose notAfter falls in `month` (YYYY-MM) and is not before
 * `cutoff` (ISO), keyed by shard (the serial's last hex digit), only `shard`'s when given. `fallbackDate` stands in for
 * a revocation time the ledger lacks, which a row written by fleetpki never does.
 */
export async function monthEntries(db: Kysely<Database>, caId: string, month: string, cutoff: string, fallbackDate: Date, shard?: string): Promise<Map<string, Buffer[]>> {
  const { from: monthStart, before } = monthBounds(month);
  let query = db
    .selectFrom('certificates')
    .select(['serial_hex', 'status', 'revoked_at', 'revocation_reason'])
    .where('status', 'in', ['revoked', 'on_hold'])
    .where('not_after', '>=', cutoff > monthStart ? cutoff : monthStart)
    .where('not_after', '<', before)
    .where('issuer_id', '=', caId);
  // One partition alone: a sixteenth of the month's rows (substr and length exist on both engines).
  if (shard) query = query.where(sql<string>`substr(serial_hex, length(serial_hex), 1)`, '=', shard);
  const rows = await query.execute();
  const shards = new Map<string, Buffer[]>();
  const fallback = fallbackDate.toISOString();
  for (const row of rows) {
    const shard = row.serial_hex.slice(-1);
    const entry = encodeCrlEntry(row.serial_hex, row.revoked_at ?? fallback, reasonCode(row.status, row.revocation_reason));
    const list = shards.get(shard);
    if (list) list.push(entry);
    else shards.set(shard, [entry]);
  }
  return shards;
}

/**
 * The expiry months (YYYY-MM, ascending) that hold revoked or held certificates of the CA
 * not expired before `cutoff`: only these are read for a full CRL. Walking every month up to
 * the last one instead would read 95,000 empty months before an IDevID's 9999-12.
 *
 * One index seek per month found and status, on the (status, not_after) index: the first
 * row of each status past the previous month. `issuer_id || ''` keeps SQLite (no ANALYZE,
 * no statistics) from ever preferring the (issuer_id, status) index, which would read every
 * revoked certificate of the CA, in no useful order, for each seek.
 */
export async function revokedMonths(db: Kysely<Database>, caId: string, cutoff: string): Promise<string[]> {
  const months: string[] = [];
  for (let from = cutoff; ; ) {
    let first: string | null = null;
    for (const status of ['revoked', 'on_hold'] as const) {
      const row = await db
        .selectFrom('certificates')
        .select('not_after')
        .where('status', '=', status)
        .where('not_after', '>=', from)
        .where(sql<string>`issuer_id || ''`, '=', caId)
        .orderBy('not_after')
        .limit(1)
        .executeTakeFirst();
      if (row && (first === null || row.not_after < first)) first = row.not_after;
    }
    if (first === null) return months;
    const month = first.slice(0, 7);
    months.push(month);
    from = monthBounds(month).before;
  }
}
