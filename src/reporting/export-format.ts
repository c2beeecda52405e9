// What an inventory export contains, column by column, and how a batch of rows becomes CSV or
// JSON text. One column list per kind serves both formats: CSV headers are the JSON keys.

import { csvLine } from './csv.ts';
import { certificateBatches, deviceBatches, type CertificateExportRow, type DeviceExportRow } from './export-rows.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export type ExportKind = 'certificates' | 'devices';
export type ExportFormat = 'csv' | 'json';

type Value = string | number | null | string[] | Record<string, unknown>;
type Columns<Row> = ReadonlyArray<readonly [string, (row: Row) => Value]>;

const CERTIFICATE_COLUMNS: Columns<CertificateExportRow> = [
  ['id', (r) => r.id],
  ['serial', (r) => r.serial_hex],
  ['issuer', (r) => r.issuer],
  ['subject', (r) => r.subject],
  ['sans', (r) => JSON.parse(r.sans) as string[]],
  ['keyType', (r) => r.key_type],
  ['spkiSha256', (r) => r.spki_sha256],
  ['fingerprintSha256', (r) => r.fingerprint_sha256],
  ['notBefore', (r) => r.not_before],
  ['notAfter', (r) => r.not_after],
  ['renewAfter', (r) => r.renew_after],
  ['status', (r) => r.status],
  ['revocationReason', (r) => r.revocation_reason],
  ['revokedAt', (r) => r.revoked_at],
  ['profile', (r) => r.profile],
  ['deviceId', (r) => r.device_id],
  ['deviceSerial', (r) => r.device_serial],
  ['deviceClass', (r) => r.device_class],
  ['environment', (r) => r.environment],
  ['site', (r) => r.site],
  ['owner', (r) => r.owner],
  ['criticality', (r) => r.criticality],
  ['replacesId', (r) => r.replaces_id],
  ['createdAt', (r) => r.created_at],
];

const DEVICE_COLUMNS: Columns<DeviceExportRow> = [
  ['id', (r) => r.id],
  ['externalSerial', (r) => r.external_serial],
  ['model', (r) => r.model],
  ['deviceClass', (r) => r.device_class],
  ['environment', (r) => r.environment],
  ['site', (r) => r.site],
  ['owner', (r) => r.owner],
  ['criticality', (r) => r.criticality],
  ['status', (r) => r.status],
  ['metadata', (r) => JSON.parse(r.metadata) as Record<string, unknown>],
  ['createdAt', (r) => r.created_at],
  ['updatedAt', (r) => r.updated_at],
  // Added after the others, so a file read by column position keeps its columns.
  ['manufacturer', (r) => r.manufacturer],
];

/** In CSV, SANs are space-separated (no SAN contains a space) and metadata is its JSON text. */
function csvValue(value: Value): string | number | null {
  if (Array.isArray(value)) return value.join(' ');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

function render<Row>(columns: Columns<Row>, rows: Row[], format: ExportFormat, first: boolean): string {
  if (format === 'csv') return rows.map((row) => csvLine(columns.map(([, get]) => csvValue(get(row))))).join('');
  const objects = rows.map((row) => JSON.stringify(Object.fromEntries(columns.map(([name, get]) => [name, get(row)]))));
  return (first ? '' : ',\n') + objects.join(',\n');
}

async function* stream<Row>(columns: Columns<Row>, batches: AsyncGenerator<Row[]>, format: ExportFormat): AsyncGenerator<string> {
  yield format === 'csv' ? csvLine(columns.map(([name]) => name)) : '[\n';
  let first = true;
  for await (const rows of batches) {
    yield render(columns, rows, format, first);
    first = false;
  }
  if (format === 'json') yield first ? ']\n' : '\n]\n';
}

/** The export as text chunks, one per batch read: pipe it, never join it. */
export function exportChunks(db: Kysely<Database>, kind: ExportKind, format: ExportFormat, batchSize?: number): AsyncGenerator<string> {
  if (kind === 'certificates') return stream(CERTIFICATE_COLUMNS, certificateBatches(db, batchSize), format);
  return stream(DEVICE_COLUMNS, deviceBatches(db, batchSize), format);
}

export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};
