// Certificates discovery has seen, and where. Inserts are upserts on the fingerprint (and on
// certificate + location for sightings), so two runs finding the same certificate at once,
// in two processes, both succeed and leave one row.
import type { Kysely, Selectable } from 'kysely';
import type { Database, DiscoveredCertificatesTable, DiscoveredTrust, DiscoverySightingsTable } from '../schema.ts';
import { containsCi } from './contains.ts';
import { checkLimit, toPage, type Page, type PageResult } from './page.ts';

export type DiscoveredRow = Selectable<DiscoveredCertificatesTable>;
export type SightingRow = Selectable<DiscoverySightingsTable>;

/** Inserts the certificate or moves its last_seen_at; returns its id either way. */
export async function upsertDiscovered(db: Kysely<Database>, row: DiscoveredCertificatesTable): Promise<string> {
  await db
    .insertInto('discovered_certificates')
    .values(row)
    .onConflict((oc) => oc.column('fingerprint_sha256').doUpdateSet({ last_seen_at: row.last_seen_at }))
    .execute();
  const found = await db.selectFrom('discovered_certificates').select('id').where('fingerprint_sha256', '=', row.fingerprint_sha256).executeTakeFirstOrThrow();
  return found.id;
}

export async function upsertSighting(db: Kysely<Database>, row: DiscoverySightingsTable): Promise<void> {
  await db
    .insertInto('discovery_sightings')
    .values(row)
    .onConflict((oc) => oc.columns(['certificate_id', 'location']).doUpdateSet({ last_seen_at: row.last_seen_at, last_run_id: row.last_run_id, role: row.role }))
    .execute();
}

export async function getDiscovered(db: Kysely<Database>, id: string): Promise<DiscoveredRow | undefined> {
  return db.selectFrom('discovered_certificates').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getDiscoveredByIds(db: Kysely<Database>, ids: string[]): Promise<DiscoveredRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('discovered_certificates').selectAll().where('id', 'in', ids).execute();
}

export async function discoveredBySpki(db: Kysely<Database>, spkis: string[]): Promise<DiscoveredRow[]> {
  if (spkis.length === 0) return [];
  return db.selectFrom('discovered_certificates').selectAll().where('spki_sha256', 'in', spkis).execute();
}

/** Oldest first per certificate, so the place a certificate was first found leads. */
export async function sightingsOf(db: Kysely<Database>, certificateIds: string[]): Promise<SightingRow[]> {
  if (certificateIds.length === 0) return [];
  return db.selectFrom('discovery_sightings').selectAll().where('certificate_id', 'in', certificateIds).orderBy('first_seen_at').orderBy('id').execute();
}

export async function updateDiscovered(db: Kysely<Database>, id: string, patch: Partial<Omit<DiscoveredCertificatesTable, 'id' | 'der'>>): Promise<void> {
  await db.updateTable('discovered_certificates').set(patch).where('id', '=', id).execute();
}

export interface DiscoveredFilter {
  trust?: DiscoveredTrust;
  fingerprint?: string;
  spki?: string;
  adoptedDeviceId?: string;
  /** Case-insensitive substring of subject, issuer or SANs. */
  q?: string;
}

export async function searchDiscovered(db: Kysely<Database>, filter: DiscoveredFilter, page: Page): Promise<PageResult<DiscoveredRow>> {
  const limit = checkLimit(page.limit);
  let query = db.selectFrom('discovered_certificates').selectAll();
  if (filter.trust) query = query.where('trust', '=', filter.trust);
  if (filter.fingerprint) query = query.where('fingerprint_sha256', '=', filter.fingerprint.toLowerCase());
  if (filter.spki) query = query.where('spki_sha256', '=', filter.spki.toLowerCase());
  if (filter.adoptedDeviceId) query = query.where('adopted_device_id', '=', filter.adoptedDeviceId);
  const q = filter.q;
  if (q) query = query.where((eb) => eb.or([containsCi('subject', q), containsCi('issuer', q), containsCi('sans', q)]));
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  return toPage(await query.orderBy('id').limit(limit + 1).execute(), limit);
}
