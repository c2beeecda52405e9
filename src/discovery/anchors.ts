// The trust fleetpki knows: its own CAs (roots and issuing) and the manufacturer anchors
// registered for IDevIDs. Read once per analysis; a handful of rows.

import type { Kysely } from 'kysely';
import { listCas } from '../store/repos/cas.ts';
import { listManufacturers } from '../store/repos/manufacturers.ts';
import type { Database } from '../store/schema.ts';
import { inspectCertificate } from './inspect.ts';
import type { Anchor } from './trust.ts';

export async function loadAnchors(db: Kysely<Database>): Promise<Anchor[]> {
  const cas = (await listCas(db)).map((row): Anchor => ({ kind: 'fleetpki', id: row.id, name: row.name, cert: inspectCertificate(row.certificate_der) }));
  const makers = (await listManufacturers(db)).map((row): Anchor => ({ kind: 'manufacturer', id: row.id, name: row.name, cert: inspectCertificate(row.certificate_der) }));
  return [...cas, ...makers];
}
