// Everything holding each of a set of public keys: discovered certificates (with the places
// they were seen as leaves) and inventory certificates. Read in chunks, one query per table.

import type { Kysely } from 'kysely';
import { discoveredBySpki, sightingsOf, type DiscoveredRow } from '../store/repos/discovered-certificates.ts';
import type { Database } from '../store/schema.ts';
import { chunks } from './chunks.ts';
import type { KeyGroup } from './sharing.ts';

export interface KeyGroups {
  groups: Map<string, KeyGroup>;
  /** Every discovered certificate holding one of the keys, by id. */
  rows: Map<string, DiscoveredRow>;
}

/**
 * A discovered certificate belongs to the device it was adopted into, or to the device of
 * the inventory certificate with its fingerprint (one fleetpki issued).
 */
export async function loadKeyGroups(db: Kysely<Database>, spkis: string[]): Promise<KeyGroups> {
  const groups = new Map<string, KeyGroup>(spkis.map((s) => [s, { discovered: [], inventory: [] }]));
  const rows = new Map<string, DiscoveredRow>();
  for (const part of chunks(spkis)) {
    const discovered = await discoveredBySpki(db, part);
    const locations = new Map<string, string[]>();
    for (const ids of chunks(discovered.map((d) => d.id))) {
      for (const s of await sightingsOf(db, ids)) if (s.role === 'leaf') locations.set(s.certificate_id, [...(locations.get(s.certificate_id) ?? []), s.location]);
    }
    const inventory = await db.selectFrom('certificates').select(['id', 'fingerprint_sha256', 'device_id', 'spki_sha256']).where('spki_sha256', 'in', part).execute();
    const issuedTo = new Map(inventory.map((c) => [c.fingerprint_sha256, c.device_id]));
    for (const c of inventory) groups.get(c.spki_sha256)!.inventory.push({ id: c.id, fingerprint: c.fingerprint_sha256, deviceId: c.device_id });
    for (const row of discovered) {
      rows.set(row.id, row);
      const deviceId = row.adopted_device_id ?? issuedTo.get(row.fingerprint_sha256) ?? null;
      groups.get(row.spki_sha256)!.discovered.push({ id: row.id, fingerprint: row.fingerprint_sha256, subject: row.subject, deviceId, locations: locations.get(row.id) ?? [] });
    }
  }
  return { groups, rows };
}
