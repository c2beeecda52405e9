// The risk report: current certificates (valid or held, not renewed) ranked by the score of
// risk-score.ts, highest first, paged by keyset. Each slice of risk-segments.ts is asked, in
// SQL, for its own best `limit + 1` after the cursor; the page is the best of those, and
// reading stops at the first slice whose bound cannot beat the page's last row.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Config } from '../config/schema.ts';
import { checkLimit } from '../store/repos/page.ts';
import type { Database, Engine } from '../store/schema.ts';
import { weakKeyTypesPresent } from './key-strength.ts';
import { decodeCursor, encodeCursor, type RiskCursor } from './risk-cursor.ts';
import { riskItem, type RiskItem, type RiskRow } from './risk-item.ts';
import { scoreSql, type ScoreSql } from './risk-score.ts';
import { isoPlus } from './sql-time.ts';
import { withReportSession } from './report-session.ts';
import { riskSegments, type Segment, type SegmentSource } from './risk-segments.ts';

export interface RiskPolicy {
  renewalFailedFraction: number;
  suspendedForSeconds: number;
}

export interface RiskQuery {
  limit: number;
  after?: string;
  /** Ranking instant of a first page (tests); later pages take it from the cursor. */
  now?: Date;
}

export interface RiskPage {
  asOf: string;
  items: RiskItem[];
  nextCursor: string | null;
  /** Slices read for this page, to show (and bench) how little was touched. */
  segmentsRead: string[];
}

const FROM: Record<SegmentSource, RawBuilder<unknown>> = {
  certificates: sql`certificates c left join devices d on d.id = c.device_id`,
  devices: sql`devices d join certificates c on c.device_id = d.id`,
  alerts: sql`alerts a join certificates c on c.id = substr(a.subject, 13) left join devices d on d.id = c.device_id`,
};

const total = sql<number>`(r.w * (r.e + r.f + r.o + r.k))`;

function afterCursor(cursor: RiskCursor | null): RawBuilder<unknown> {
  if (!cursor) return sql``;
  const { score, notAfter, id } = cursor;
  return sql`and (${total} < ${score} or (${total} = ${score} and (r.not_after > ${notAfter} or (r.not_after = ${notAfter} and r.id > ${id}))))`;
}

async function readSegment(db: Kysely<Database>, segment: Segment, score: ScoreSql, cursor: RiskCursor | null, limit: number): Promise<RiskRow[]> {
  const query = sql<RiskRow>`
    select r.*, ${total} as score from (
      select c.id, c.serial_hex, c.subject, c.profile, c.key_type, c.status, c.not_after, c.device_id,
        d.external_serial, d.device_class, d.criticality, d.status as device_status, d.owner,
        ${score.weight} as w, ${score.expiry} as e, ${score.failedRenewal} as f, ${score.orphan} as o, ${score.weakKey} as k
      from ${FROM[segment.source]}
      where ${segment.where}
    ) r
    where ${total} > 0 ${afterCursor(cursor)}
    order by score desc, r.not_after, r.id
    limit ${limit}`;
  return (await query.execute(db)).rows;
}

/** The report's order: score down, then soonest expiry, then id (byte order, as both engines compare). */
function compare(a: RiskRow, b: RiskRow): number {
  if (a.score !== b.score) return Number(b.score) - Number(a.score);
  if (a.not_after !== b.not_after) return a.not_after < b.not_after ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function mergeBest(best: RiskRow[], rows: RiskRow[], keep: number): RiskRow[] {
  const seen = new Set(best.map((r) => r.id));
  const merged = [...best, ...rows.filter((r) => !seen.has(r.id))];
  return merged.sort(compare).slice(0, keep);
}

/** Start of the lifecycle's last successful expiry scan: what it found is in its alerts. */
async function expiryScannedAt(db: Kysely<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('job_runs')
    .select('started_at')
    .where('job', '=', 'expiry')
    .where('outcome', '=', 'success')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.started_at ?? null;
}

export async function riskReport(db: Kysely<Database>, engine: Engine, policy: RiskPolicy, query: RiskQuery): Promise<RiskPage> {
  return withReportSession(db, engine, (session) => rank(session, engine, policy, query));
}

async function rank(db: Kysely<Database>, engine: Engine, policy: RiskPolicy, query: RiskQuery): Promise<RiskPage> {
  const limit = checkLimit(query.limit);
  const cursor = query.after === undefined ? null : decodeCursor(query.after);
  const now = cursor ? new Date(cursor.asOf) : (query.now ?? new Date());
  const weakKeyTypes = await weakKeyTypesPresent(db);
  const score = scoreSql({ engine, now, weakKeyTypes, ...policy });
  const suspendedBefore = isoPlus(now, -policy.suspendedForSeconds);
  const segments = riskSegments({ now, weakKeyTypes, suspendedBefore, expiryScannedAt: await expiryScannedAt(db) });
  let best: RiskRow[] = [];
  const segmentsRead: string[] = [];
  for (const segment of segments) {
    if (best.length > limit && segment.bound < Number(best[limit].score)) break;
    best = mergeBest(best, await readSegment(db, segment, score, cursor, limit + 1), limit + 1);
    segmentsRead.push(segment.name);
  }
  const items = best.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = best.length > limit ? encodeCursor({ asOf: now.toISOString(), score: Number(last.score), notAfter: last.not_after, id: last.id }) : null;
  return { asOf: now.toISOString(), items: items.map((row) => riskItem(row, now)), nextCursor, segmentsRead };
}

/** The lifecycle's policies, so the report calls a renewal failed and a device orphaned exactly when the lifecycle does. */
export function riskPolicyOf(config: Config): RiskPolicy {
  const { renewalFailedFraction, orphans } = config.lifecycle.policies;
  return { renewalFailedFraction, suspendedForSeconds: orphans.suspendedForSeconds };
}
