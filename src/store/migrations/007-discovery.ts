// Discovery: certificates found on TLS endpoints and in files, where each was seen, the runs
// (scans and imports) that found them and the findings about them. Discovered certificates
// are kept apart from `certificates`, which is fleetpki's issuance ledger: adopting an
// external certificate links it to a device here rather than pretending fleetpki issued it.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor, type Types } from './001-initial.ts';

async function createRuns(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('discovery_runs')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('kind', t.text, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('actor', t.text, (c) => c.notNull())
    .addColumn('options', t.text, (c) => c.notNull())
    .addColumn('targets_total', t.bigint, (c) => c.notNull())
    .addColumn('targets_done', t.bigint, (c) => c.notNull())
    .addColumn('targets_failed', t.bigint, (c) => c.notNull())
    .addColumn('certificates_seen', t.bigint, (c) => c.notNull())
    .addColumn('findings_opened', t.bigint, (c) => c.notNull())
    .addColumn('error', t.text)
    .addColumn('started_at', t.text, (c) => c.notNull())
    .addColumn('finished_at', t.text)
    .execute();
  await db.schema
    .createTable('discovery_run_targets')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('run_id', t.text, (c) => c.notNull().references('discovery_runs.id'))
    .addColumn('target', t.text, (c) => c.notNull())
    .addColumn('outcome', t.text, (c) => c.notNull())
    .addColumn('error', t.text)
    .addColumn('certificates', t.bigint, (c) => c.notNull())
    .addColumn('details', t.text, (c) => c.notNull())
    .addColumn('finished_at', t.text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('discovery_run_targets_run_id_idx').on('discovery_run_targets').columns(['run_id']).execute();
}

async function createCertificates(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('discovered_certificates')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('fingerprint_sha256', t.text, (c) => c.notNull().unique())
    .addColumn('spki_sha256', t.text, (c) => c.notNull())
    .addColumn('subject', t.text, (c) => c.notNull())
    .addColumn('issuer', t.text, (c) => c.notNull())
    .addColumn('serial_hex', t.text, (c) => c.notNull())
    .addColumn('sans', t.text, (c) => c.notNull())
    .addColumn('key_type', t.text, (c) => c.notNull())
    .addColumn('signature_algorithm', t.text, (c) => c.notNull())
    .addColumn('not_before', t.text, (c) => c.notNull())
    .addColumn('not_after', t.text, (c) => c.notNull())
    .addColumn('ca_flag', t.text, (c) => c.notNull())
    .addColumn('trust', t.text, (c) => c.notNull())
    .addColumn('inventory_certificate_id', t.text, (c) => c.references('certificates.id'))
    .addColumn('adopted_device_id', t.text, (c) => c.references('devices.id'))
    .addColumn('adopted_at', t.text)
    .addColumn('owner', t.text)
    .addColumn('replacement_requested_at', t.text)
    .addColumn('der', t.binary, (c) => c.notNull())
    .addColumn('first_seen_at', t.text, (c) => c.notNull())
    .addColumn('last_seen_at', t.text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('discovered_certificates_spki_sha256_idx').on('discovered_certificates').columns(['spki_sha256']).execute();
  await db.schema.createIndex('discovered_certificates_adopted_device_id_idx').on('discovered_certificates').columns(['adopted_device_id']).execute();
  await db.schema
    .createTable('discovery_sightings')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('certificate_id', t.text, (c) => c.notNull().references('discovered_certificates.id'))
    .addColumn('source', t.text, (c) => c.notNull())
    .addColumn('location', t.text, (c) => c.notNull())
    .addColumn('role', t.text, (c) => c.notNull())
    .addColumn('last_run_id', t.text, (c) => c.notNull().references('discovery_runs.id'))
    .addColumn('first_seen_at', t.text, (c) => c.notNull())
    .addColumn('last_seen_at', t.text, (c) => c.notNull())
    .execute();
  // One row per certificate and place; a later run that sees it again moves last_seen_at.
  await db.schema.createIndex('discovery_sightings_certificate_id_location_idx').on('discovery_sightings').columns(['certificate_id', 'location']).unique().execute();
  await db.schema.createIndex('discovery_sightings_last_run_id_idx').on('discovery_sightings').columns(['last_run_id']).execute();
}

async function createFindings(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('discovery_findings')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('certificate_id', t.text, (c) => c.notNull().references('discovered_certificates.id'))
    .addColumn('kind', t.text, (c) => c.notNull())
    .addColumn('severity', t.text, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('summary', t.text, (c) => c.notNull())
    .addColumn('evidence', t.text, (c) => c.notNull())
    .addColumn('last_run_id', t.text, (c) => c.notNull().references('discovery_runs.id'))
    .addColumn('first_seen_at', t.text, (c) => c.notNull())
    .addColumn('last_seen_at', t.text, (c) => c.notNull())
    .addColumn('resolution', t.text)
    .addColumn('resolution_details', t.text)
    .addColumn('resolved_by', t.text)
    .addColumn('resolved_at', t.text)
    .execute();
  // A finding is one fact about one certificate: seen again, it is updated, not repeated.
  await db.schema.createIndex('discovery_findings_certificate_id_kind_idx').on('discovery_findings').columns(['certificate_id', 'kind']).unique().execute();
  await db.schema.createIndex('discovery_findings_status_kind_idx').on('discovery_findings').columns(['status', 'kind']).execute();
}

export function discoveryMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await createRuns(db, t);
      await createCertificates(db, t);
      await createFindings(db, t);
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['discovery_findings', 'discovery_sightings', 'discovered_certificates', 'discovery_run_targets', 'discovery_runs']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
