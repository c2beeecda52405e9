// The inventory questions the lifecycle jobs ask, each paged by id (keyset) so a large fleet
// is read in bounded pieces. Timestamps are ISO text on both engines: plain comparisons.

import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { suspendedSinceSql } from './suspended-since.ts';

export const PAGE = 500;

/**
 * A successor is a certificate, not revoked, that renews this one (replaces_id), or that the
 * same device got later under the same profile (a re-enrolment instead of a renewal): either
 * way the device no longer depends on this certificate.
 */
function hasSuccessor(eb: ExpressionBuilder<Database & { c: Database['certificates'] }, 'c'>) {
  return eb.exists(
    eb
      .selectFrom('certificates as s')
      .select('s.id')
      .where('s.status', '!=', 'revoked')
      .where((s) =>
        s.or([
          s('s.replaces_id', '=', s.ref('c.id')),
          s.and([s('s.device_id', '=', s.ref('c.device_id')), s('s.profile', '=', s.ref('c.profile')), s('s.created_at', '>', s.ref('c.created_at'))]),
        ]),
      ),
  );
}

export interface UnrenewedRow {
  id: string;
  serial_hex: string;
  subject: string;
  profile: string;
  device_id: string | null;
  not_before: string;
  not_after: string;
  renew_after: string;
  external_serial: string;
}

/**
 * Valid certificates of devices in service (registered or active) without a successor, whose
 * renew_after has passed, and either still unexpired (`expired: false`) or expired. Paged in
 * (not_after, id) order after the last row of the previous page, so that each page continues
 * along the (status, not_after) index where the last one stopped: paging by id instead made
 * a planner with statistics (PostgreSQL at a million certificates) read and sort the whole
 * window again for every page of 500.
 */
export function unrenewed(db: Kysely<Database>, now: Date, expired: boolean, after: UnrenewedRow | null): Promise<UnrenewedRow[]> {
  const at = now.toISOString();
  let query = db
    .selectFrom('certificates as c')
    .innerJoin('devices as d', 'd.id', 'c.device_id')
    .select(['c.id', 'c.serial_hex', 'c.subject', 'c.profile', 'c.device_id', 'c.not_before', 'c.not_after', 'c.renew_after', 'd.external_serial'])
    .where('c.status', '=', 'valid')
    .where('d.status', 'in', ['registered', 'active'])
    .where('c.renew_after', '<=', at)
    .where((eb) => eb.not(hasSuccessor(eb)));
  if (expired) query = query.where('c.not_after', '<=', at);
  // One lower bound on not_after, the tighter one: SQLite starts its index range from only one
  // of two, and picked "> now" (every page read from the start again).
  if (after === null) {
    if (!expired) query = query.where('c.not_after', '>', at);
  } else {
    // The >= bounds the index range; the OR drops the rows of the boundary time already read.
    query = query.where('c.not_after', '>=', after.not_after).where((eb) => eb.or([eb('c.not_after', '>', after.not_after), eb('c.id', '>', after.id)]));
  }
  return query.orderBy('c.not_after').orderBy('c.id').limit(PAGE).execute();
}

export interface OrphanRow {
  id: string;
  serial_hex: string;
  subject: string;
  status: 'valid' | 'revoked' | 'on_hold';
  device_id: string | null;
  not_after: string;
  device_status: string | null;
  device_updated_at: string | null;
}

/** When the device's suspension began (suspended-since.ts); null for a device not in the inventory. */
export async function suspendedSince(db: Kysely<Database>, deviceId: string): Promise<string | null> {
  const row = await db.selectFrom('devices as d').select(suspendedSinceSql('d').as('at')).where('d.id', '=', deviceId).executeTakeFirst();
  return row?.at ?? null;
}

/** The revocation reason decommissioning recorded (keyCompromise for a lost device), if any. */
export async function decommissionReason(db: Kysely<Database>, deviceId: string): Promise<string | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('details')
    .where('target', '=', `device:${deviceId}`)
    .where('action', '=', 'device.decommission')
    .where('outcome', '=', 'success')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const reason = row ? (JSON.parse(row.details) as { reason?: unknown }).reason : undefined;
  return typeof reason === 'string' ? reason : null;
}

/** Reads every page of a keyset query, stopping between pages when aborted. */
export async function* pages<T extends { id: string }>(fetch: (after: string | null) => Promise<T[]>, signal: AbortSignal): AsyncGenerator<T[]> {
  yield* pagesAfter<T>((last) => fetch(last?.id ?? null), signal);
}

/** Pages of rows, each page fetched after the last row of the one before (a keyset of several columns). */
export async function* pagesAfter<T>(fetch: (last: T | null) => Promise<T[]>, signal: AbortSignal): AsyncGenerator<T[]> {
  let last: T | null = null;
  while (!signal.aborted) {
    const rows = await fetch(last);
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    last = rows[rows.length - 1];
  }
}
