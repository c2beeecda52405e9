// Where the orphans job looks: live (valid or held, unexpired) certificates of devices that
// are decommissioned or suspended, read a page of such devices at a time through the
// (status, id) index and then their certificates through device_id; and certificates naming
// a device missing from the inventory (only possible for rows written without the foreign
// key, so that pass normally reads one page). Paging by certificate id over all live
// certificates instead re-read the live ledger for every page of 500 orphans: 72 s at a
// million certificates (bench/scale.ts), against a few hundred milliseconds this way.

import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { unindexed } from '../store/unindexed.ts';
import { PAGE, pages, type OrphanRow } from './certificate-queries.ts';

const LIVE = ['valid', 'on_hold'] as const;
const ORPHANING_STATES = ['decommissioned', 'suspended'] as const;

function devicesIn(db: Kysely<Database>, status: (typeof ORPHANING_STATES)[number], after: string | null): Promise<Array<{ id: string }>> {
  let query = db.selectFrom('devices').select('id').where('status', '=', status);
  if (after !== null) query = query.where('id', '>', after);
  return query.orderBy('id').limit(PAGE).execute();
}

function liveCertificatesOf(db: Kysely<Database>, deviceIds: string[], now: Date): Promise<OrphanRow[]> {
  return liveCertificatesOfQuery(db, deviceIds, now).execute();
}

/** The query of liveCertificatesOf, for a test that reads its plan. */
export function liveCertificatesOfQuery(db: Kysely<Database>, deviceIds: string[], now: Date) {
  return db
    .selectFrom('certificates as c')
    .innerJoin('devices as d', 'd.id', 'c.device_id')
    .select(['c.id', 'c.serial_hex', 'c.subject', 'c.status', 'c.device_id', 'c.not_after', 'd.status as device_status', 'd.updated_at as device_updated_at'])
    .where('c.device_id', 'in', deviceIds)
    // Through device_id, not the status index (every live certificate per page; src/store/unindexed.ts).
    .where(unindexed('c.status'), 'in', LIVE)
    .where('c.not_after', '>', now.toISOString())
    .orderBy('c.id');
}

function certificatesOfMissingDevices(db: Kysely<Database>, now: Date, after: string | null): Promise<OrphanRow[]> {
  let query = db
    .selectFrom('certificates as c')
    .leftJoin('devices as d', 'd.id', 'c.device_id')
    .select(['c.id', 'c.serial_hex', 'c.subject', 'c.status', 'c.device_id', 'c.not_after', 'd.status as device_status', 'd.updated_at as device_updated_at'])
    .where('c.status', 'in', LIVE)
    .where('c.not_after', '>', now.toISOString())
    .where('c.device_id', 'is not', null)
    .where('d.id', 'is', null);
  if (after !== null) query = query.where('c.id', '>', after);
  return query.orderBy('c.id').limit(PAGE).execute();
}

/** Every orphan candidate once, in pages: decommissioned devices' certificates, suspended devices', then missing devices'. */
export async function* orphanCandidatePages(db: Kysely<Database>, now: Date, signal: AbortSignal): AsyncGenerator<OrphanRow[]> {
  for (const status of ORPHANING_STATES) {
    let after: string | null = null;
    while (!signal.aborted) {
      const devices = await devicesIn(db, status, after);
      if (devices.length === 0) break;
      const rows = await liveCertificatesOf(db, devices.map((d) => d.id), now);
      if (rows.length > 0) yield rows;
      if (devices.length < PAGE) break;
      after = devices[devices.length - 1].id;
    }
  }
  yield* pages((after) => certificatesOfMissingDevices(db, now, after), signal);
}
