// The rows an inventory export reads, a batch at a time by keyset on the primary key, so a
// million-row export holds one batch in memory and each query is one short index range. A
// row written during the export appears in it if its id sorts after the batch being read.

import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export const EXPORT_BATCH = 1000;

export interface CertificateExportRow {
  id: string;
  serial_hex: string;
  issuer: string;
  subject: string;
  sans: string;
  key_type: string;
  spki_sha256: string;
  fingerprint_sha256: string;
  not_before: string;
  not_after: string;
  renew_after: string;
  status: string;
  revocation_reason: string | null;
  revoked_at: string | null;
  profile: string;
  device_id: string | null;
  device_serial: string | null;
  device_class: string | null;
  environment: string | null;
  site: string | null;
  owner: string | null;
  criticality: string | null;
  replaces_id: string | null;
  created_at: string;
}

export interface DeviceExportRow {
  id: string;
  external_serial: string;
  model: string | null;
  device_class: string;
  environment: string;
  site: string | null;
  owner: string | null;
  criticality: string;
  status: string;
  metadata: string;
  manufacturer: string | null;
  created_at: string;
  updated_at: string;
}

/** Certificates with their device and issuer name; the DER stays in the ledger (GET /certificates/:id/pem). */
function certificateBatch(db: Kysely<Database>, after: string, limit: number): Promise<CertificateExportRow[]> {
  return sql<CertificateExportRow>`
    select c.id, c.serial_hex, ca.name as issuer, c.subject, c.sans, c.key_type, c.spki_sha256, c.fingerprint_sha256,
      c.not_before, c.not_after, c.renew_after, c.status, c.revocation_reason, c.revoked_at, c.profile, c.device_id,
      d.external_serial as device_serial, d.device_class, d.environment, d.site, d.owner, d.criticality, c.replaces_id, c.created_at
    from certificates c join cas ca on ca.id = c.issuer_id left join devices d on d.id = c.device_id
    where c.id > ${after} order by c.id limit ${limit}`
    .execute(db)
    .then((r) => r.rows);
}

function deviceBatch(db: Kysely<Database>, after: string, limit: number): Promise<DeviceExportRow[]> {
  return db.selectFrom('devices').selectAll().where('id', '>', after).orderBy('id').limit(limit).execute();
}

async function* batches<T extends { id: string }>(read: (after: string) => Promise<T[]>, size: number): AsyncGenerator<T[]> {
  let after = '';
  for (;;) {
    const rows = await read(after);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    after = rows[rows.length - 1].id;
  }
}

export function certificateBatches(db: Kysely<Database>, size = EXPORT_BATCH): AsyncGenerator<CertificateExportRow[]> {
  return batches((after) => certificateBatch(db, after, size), size);
}

export function deviceBatches(db: Kysely<Database>, size = EXPORT_BATCH): AsyncGenerator<DeviceExportRow[]> {
  return batches((after) => deviceBatch(db, after, size), size);
}
