// The risk score: what to fix first. One formula, written once as SQL so the database ranks
// a million certificates without handing them to Node (docs/reporting.md explains it):
//
//   score = weight(device criticality) x (expiry + failed renewal + orphan + weak key)
//
// weight: low 1, medium 2 (also a certificate without a device), high 3, critical 4.
// expiry: by time left, for valid certificates of devices in service: expired 100,
//   under 1 day 90, 3 days 80, 7 days 65, 14 days 45, 30 days 25, 60 days 10, 90 days 3.
// failed renewal: 40 when the lifecycle's rule holds (past renew_after, less than
//   renewalFailedFraction of the lifetime left, not expired, no successor).
// orphan: 60 for a live certificate of a decommissioned device, or a valid one of a device
//   suspended longer than the orphan policy's suspendedForSeconds.
// weak key: 50 for a key type below the floor (key-strength.ts).
//
// A critical device's certificate 3 days from expiry scores 4 x 65 = 260 (300 with a failed
// renewal); a low one a day from expiry 1 x 80 = 80 (120): the critical one comes first.

import { sql, type RawBuilder } from 'kysely';
import { suspendedSinceSql } from '../lifecycle/suspended-since.ts';
import type { Criticality, Engine } from '../store/schema.ts';
import { DAY_SECONDS, epochSeconds, isoPlus } from './sql-time.ts';

export const WEIGHTS: Record<Criticality, number> = { low: 1, medium: 2, high: 3, critical: 4 };
export const NO_DEVICE_WEIGHT = 2;
export const MAX_WEIGHT = 4;

export const EXPIRED_POINTS = 100;
/** Points by time left, nearest first; nothing beyond the last. */
export const EXPIRY_BUCKETS: ReadonlyArray<{ withinDays: number; points: number }> = [
  { withinDays: 1, points: 90 },
  { withinDays: 3, points: 80 },
  { withinDays: 7, points: 65 },
  { withinDays: 14, points: 45 },
  { withinDays: 30, points: 25 },
  { withinDays: 60, points: 10 },
  { withinDays: 90, points: 3 },
];
export const FAILED_RENEWAL_POINTS = 40;
export const ORPHAN_POINTS = 60;
export const WEAK_KEY_POINTS = 50;

export interface ScoreInputs {
  engine: Engine;
  now: Date;
  /** Lifecycle policy: a renewal has failed once less than this fraction of the lifetime is left. */
  renewalFailedFraction: number;
  /** Lifecycle policy: suspension this long makes a device's valid certificates orphans. */
  suspendedForSeconds: number;
  /** Weak key types present in the ledger (key-strength.ts). */
  weakKeyTypes: string[];
}

/** The parts of the score, as SQL over certificates `c` left-joined to devices `d`. */
export interface ScoreSql {
  weight: RawBuilder<number>;
  expiry: RawBuilder<number>;
  failedRenewal: RawBuilder<number>;
  orphan: RawBuilder<number>;
  weakKey: RawBuilder<number>;
}

const inService = sql`(d.id is null or d.status in ('registered', 'active'))`;

function weightSql(): RawBuilder<number> {
  const cases = Object.entries(WEIGHTS).map(([level, weight]) => sql`when ${sql.lit(level)} then ${sql.lit(weight)}`);
  return sql<number>`(case d.criticality ${sql.join(cases, sql` `)} else ${sql.lit(NO_DEVICE_WEIGHT)} end)`;
}

function expirySql(now: Date): RawBuilder<number> {
  const buckets = EXPIRY_BUCKETS.map((b) => sql`when c.not_after < ${isoPlus(now, b.withinDays * DAY_SECONDS)} then ${sql.lit(b.points)}`);
  return sql<number>`(case when not (${inService} and c.status = 'valid') then 0
    when c.not_after <= ${now.toISOString()} then ${sql.lit(EXPIRED_POINTS)}
    ${sql.join(buckets, sql` `)} else 0 end)`;
}

/** The lifecycle's "failing" phase (src/lifecycle/renewal-phase.ts); its successor check is the query's own. */
function failedRenewalSql(i: ScoreInputs): RawBuilder<number> {
  const at = i.now.toISOString();
  const notAfter = epochSeconds(i.engine, sql`c.not_after`);
  const notBefore = epochSeconds(i.engine, sql`c.not_before`);
  const nowSeconds = i.now.getTime() / 1000;
  return sql<number>`(case when ${inService} and c.status = 'valid' and c.not_after > ${at} and c.renew_after <= ${at}
    and ${notAfter} - ${nowSeconds} <= ${i.renewalFailedFraction} * (${notAfter} - ${notBefore})
    then ${sql.lit(FAILED_RENEWAL_POINTS)} else 0 end)`;
}

/**
 * The lifecycle's orphan causes (src/lifecycle/orphan-policy.ts), the suspension dated as the
 * orphans job dates it (src/lifecycle/suspended-since.ts): by the device.suspend audit event,
 * so that editing a long-suspended device does not restart the clock. The audit lookup is
 * reached only for a valid certificate of a suspended device.
 */
function orphanSql(i: ScoreInputs): RawBuilder<number> {
  const suspendedBefore = isoPlus(i.now, -i.suspendedForSeconds);
  return sql<number>`(case when c.not_after > ${i.now.toISOString()} and (d.status = 'decommissioned'
    or (d.status = 'suspended' and c.status = 'valid' and ${suspendedSinceSql('d')} <= ${suspendedBefore}))
    then ${sql.lit(ORPHAN_POINTS)} else 0 end)`;
}

function weakKeySql(weak: string[]): RawBuilder<number> {
  if (weak.length === 0) return sql<number>`0`;
  return sql<number>`(case when c.key_type in (${sql.join(weak)}) then ${sql.lit(WEAK_KEY_POINTS)} else 0 end)`;
}

export function scoreSql(inputs: ScoreInputs): ScoreSql {
  return {
    weight: weightSql(),
    expiry: expirySql(inputs.now),
    failedRenewal: failedRenewalSql(inputs),
    orphan: orphanSql(inputs),
    weakKey: weakKeySql(inputs.weakKeyTypes),
  };
}

/** The highest score a certificate in an expiry bucket can reach when it is neither an orphan nor weak. */
export function bucketBound(points: number): number {
  return MAX_WEIGHT * (points + FAILED_RENEWAL_POINTS);
}
