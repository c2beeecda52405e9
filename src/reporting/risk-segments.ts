// Where the risk report looks, as disjoint slices of the ledger that each read one index
// range, with the highest score a certificate in the slice can reach. Ranking every current
// certificate of a million-row ledger costs seconds (most rows are renewed history, and
// telling them apart is a successor lookup per row); the first pages need only the slices
// whose bound can still beat what has been found (risk.ts stops there).
//
//   weak keys       key_type in the weak types present (key_type index)      any score
//   orphans         certificates of decommissioned or suspended devices      any score
//   expired         open certificate.expired alerts of the lifecycle, plus   4 x 100
//                   certificates expired since its last successful scan
//                   (all expired ones if it never ran)
//   expiry buckets  (status, not_after) ranges: next day, 3 days, 7 ...      4 x (points + 40)
//
// Weak keys are excluded from the other slices, and orphans cannot fall in them (their
// devices are out of service), so no certificate is counted twice.

import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { suspendedSinceSql } from '../lifecycle/suspended-since.ts';
import { DAY_SECONDS, isoPlus } from './sql-time.ts';
import { bucketBound, EXPIRED_POINTS, EXPIRY_BUCKETS, MAX_WEIGHT } from './risk-score.ts';
import { notRenewedSql } from './successor.ts';

export type SegmentSource = 'certificates' | 'devices' | 'alerts';

export interface Segment {
  name: string;
  /** Which table drives the query: the one whose index finds the slice. */
  source: SegmentSource;
  where: RawBuilder<SqlBool>;
  /** No certificate of the slice can score above this. */
  bound: number;
}

export interface SegmentInputs {
  now: Date;
  weakKeyTypes: string[];
  /** Devices suspended since before this are orphaned (the lifecycle's suspendedForSeconds). */
  suspendedBefore: string;
  /** Start of the lifecycle's last successful expiry scan; null if it never completed one. */
  expiryScannedAt: string | null;
}

// Valid or on hold. Written as "not revoked" on purpose: SQLite has no statistics (the store
// never runs ANALYZE) and would take an equality on status for as selective as one on
// device_id, reading the orphans' certificates from the (status, not_after) index instead of
// each device's few rows.
const live = sql`c.status <> 'revoked'`;
// Open or acknowledged: a condition alert stays active until the lifecycle no longer finds it.
const alerted = sql`a.kind = 'certificate.expired' and a.state in ('open', 'acknowledged')`;
const inService = sql`(d.id is null or d.status in ('registered', 'active'))`;

function notWeak(weak: string[]): RawBuilder<SqlBool> {
  return weak.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`c.key_type not in (${sql.join(weak)})`;
}

function flagged(i: SegmentInputs): Segment[] {
  const segments: Segment[] = [];
  if (i.weakKeyTypes.length > 0) {
    const where = sql<SqlBool>`c.key_type in (${sql.join(i.weakKeyTypes)}) and ${live} and ${notRenewedSql()}`;
    segments.push({ name: 'weak-key', source: 'certificates', where, bound: Infinity });
  }
  // A device suspended more recently than the policy allows is not yet an orphan: its
  // certificates score nothing. The suspension is dated as the orphans job dates it.
  const orphans = sql<SqlBool>`(d.status = 'decommissioned' or (d.status = 'suspended' and ${suspendedSinceSql('d')} <= ${i.suspendedBefore}))
    and ${live} and c.not_after > ${i.now.toISOString()}
    and ${notWeak(i.weakKeyTypes)} and ${notRenewedSql()}`;
  segments.push({ name: 'orphan', source: 'devices', where: orphans, bound: Infinity });
  return segments;
}

function expired(i: SegmentInputs): Segment[] {
  const at = i.now.toISOString();
  const common = sql<SqlBool>`c.status = 'valid' and ${inService} and ${notWeak(i.weakKeyTypes)} and ${notRenewedSql()}`;
  const bound = MAX_WEIGHT * EXPIRED_POINTS;
  if (i.expiryScannedAt === null) {
    return [{ name: 'expired', source: 'certificates', where: sql<SqlBool>`c.not_after <= ${at} and ${common}`, bound }];
  }
  return [
    { name: 'expired-alerted', source: 'alerts', where: sql<SqlBool>`${alerted} and c.not_after <= ${at} and ${common}`, bound },
    { name: 'expired-since-scan', source: 'certificates', where: sql<SqlBool>`c.not_after > ${i.expiryScannedAt} and c.not_after <= ${at} and ${common}`, bound },
  ];
}

function buckets(i: SegmentInputs): Segment[] {
  let from = i.now.toISOString();
  let inclusive = false;
  return EXPIRY_BUCKETS.map((b) => {
    const to = isoPlus(i.now, b.withinDays * DAY_SECONDS);
    // The first bucket starts just after now: a certificate expiring at now is expired.
    const lower = inclusive ? sql`c.not_after >= ${from}` : sql`c.not_after > ${from}`;
    const where = sql<SqlBool>`c.status = 'valid' and ${lower} and c.not_after < ${to} and ${inService} and ${notWeak(i.weakKeyTypes)} and ${notRenewedSql()}`;
    from = to;
    inclusive = true;
    return { name: `within-${b.withinDays}d`, source: 'certificates' as const, where, bound: bucketBound(b.points) };
  });
}

/** Slices in the order they are read: by falling bound, so the first that cannot matter ends the reading. */
export function riskSegments(inputs: SegmentInputs): Segment[] {
  return [...flagged(inputs), ...expired(inputs), ...buckets(inputs)].sort((a, b) => b.bound - a.bound);
}
