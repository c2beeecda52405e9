// The first schema: every table and column of src/store/schema.ts. The engine is a
// parameter because a few type names differ; everything else is written once.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';

export interface Types {
  text: RawBuilder<unknown>;
  binary: RawBuilder<unknown>;
  bigint: RawBuilder<unknown>;
}

export function typesFor(engine: Engine): Types {
  if (engine === 'postgres') {
    return {
      // Byte-order collation, as SQLite's default BINARY: ids, ISO timestamps and hex
      // serials then compare and paginate identically on both engines whatever the
      // database locale, and lower() folds ASCII only on both.
      text: sql`text collate "C"`,
      binary: sql`bytea`,
      bigint: sql`bigint`,
    };
  }
  // SQLite integers are 64-bit already; `integer primary key` becomes the rowid alias,
  // which is what we want for audit seq (the app supplies the value, no AUTOINCREMENT).
  return { text: sql`text`, binary: sql`blob`, bigint: sql`integer` };
}

// Primary keys say NOT NULL explicitly: SQLite, for historical reasons, accepts NULL in a
// non-integer primary key otherwise.
export function initialMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await createCas(db, t);
      await createProfiles(db, t);
      await createDevices(db, t);
      await createCertificates(db, t);
      await createApiTokens(db, t);
      await createAudit(db, t);
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['audit_head', 'audit_events', 'api_tokens', 'certificates', 'devices', 'profiles', 'cas']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

async function createCas(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('cas')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('name', t.text, (c) => c.notNull().unique())
    .addColumn('parent_id', t.text, (c) => c.references('cas.id'))
    .addColumn('kind', t.text, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('key_type', t.text, (c) => c.notNull())
    .addColumn('subject', t.text, (c) => c.notNull())
    .addColumn('serial_hex', t.text, (c) => c.notNull())
    .addColumn('ski_hex', t.text, (c) => c.notNull())
    .addColumn('not_before', t.text, (c) => c.notNull())
    .addColumn('not_after', t.text, (c) => c.notNull())
    .addColumn('certificate_der', t.binary, (c) => c.notNull())
    .addColumn('key_ref', t.text)
    .addColumn('encrypted_key', t.binary)
    .addColumn('created_at', t.text, (c) => c.notNull())
    .execute();
}

async function createProfiles(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('profiles')
    .addColumn('name', t.text, (c) => c.primaryKey().notNull())
    .addColumn('definition', t.text, (c) => c.notNull())
    .addColumn('created_at', t.text, (c) => c.notNull())
    .addColumn('updated_at', t.text, (c) => c.notNull())
    .execute();
}

async function createDevices(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('external_serial', t.text, (c) => c.notNull().unique())
    .addColumn('model', t.text)
    .addColumn('device_class', t.text, (c) => c.notNull())
    .addColumn('environment', t.text, (c) => c.notNull())
    .addColumn('site', t.text)
    .addColumn('owner', t.text)
    .addColumn('criticality', t.text, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('metadata', t.text, (c) => c.notNull())
    .addColumn('created_at', t.text, (c) => c.notNull())
    .addColumn('updated_at', t.text, (c) => c.notNull())
    .execute();
  await index(db, 'devices', ['status']);
  await index(db, 'devices', ['device_class', 'environment']);
}

async function createCertificates(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('certificates')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('issuer_id', t.text, (c) => c.notNull().references('cas.id'))
    .addColumn('serial_hex', t.text, (c) => c.notNull())
    .addColumn('subject', t.text, (c) => c.notNull())
    .addColumn('sans', t.text, (c) => c.notNull())
    .addColumn('key_type', t.text, (c) => c.notNull())
    .addColumn('spki_sha256', t.text, (c) => c.notNull())
    .addColumn('fingerprint_sha256', t.text, (c) => c.notNull())
    .addColumn('not_before', t.text, (c) => c.notNull())
    .addColumn('not_after', t.text, (c) => c.notNull())
    .addColumn('renew_after', t.text, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('revocation_reason', t.text)
    .addColumn('revoked_at', t.text)
    .addColumn('profile', t.text, (c) => c.notNull())
    .addColumn('device_id', t.text, (c) => c.references('devices.id'))
    .addColumn('replaces_id', t.text)
    .addColumn('der', t.binary, (c) => c.notNull())
    .addColumn('created_at', t.text, (c) => c.notNull())
    .execute();
  // Serial numbers are unique per issuer (RFC 5280 4.1.2.2); OCSP and CRL look them up so.
  await index(db, 'certificates', ['issuer_id', 'serial_hex'], true);
  await index(db, 'certificates', ['not_after']);
  await index(db, 'certificates', ['device_id']);
  await index(db, 'certificates', ['status', 'not_after']);
  await index(db, 'certificates', ['spki_sha256']);
  await index(db, 'certificates', ['profile']);
}

async function createApiTokens(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('name', t.text, (c) => c.notNull())
    .addColumn('role', t.text, (c) => c.notNull())
    .addColumn('token_hash', t.text, (c) => c.notNull().unique())
    .addColumn('created_at', t.text, (c) => c.notNull())
    .addColumn('expires_at', t.text)
    .addColumn('last_used_at', t.text)
    .addColumn('revoked_at', t.text)
    .execute();
}

async function createAudit(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('seq', t.bigint, (c) => c.primaryKey().notNull())
    .addColumn('at', t.text, (c) => c.notNull())
    .addColumn('actor', t.text, (c) => c.notNull())
    .addColumn('action', t.text, (c) => c.notNull())
    .addColumn('target', t.text)
    .addColumn('outcome', t.text, (c) => c.notNull())
    .addColumn('details', t.text, (c) => c.notNull())
    .addColumn('prev_hash', t.text, (c) => c.notNull())
    .addColumn('hash', t.text, (c) => c.notNull())
    .execute();
  await index(db, 'audit_events', ['at']);
  await index(db, 'audit_events', ['target']);
  await db.schema
    .createTable('audit_head')
    .addColumn('id', sql`integer`, (c) => c.primaryKey().notNull())
    .addColumn('seq', t.bigint, (c) => c.notNull())
    .addColumn('hash', t.text, (c) => c.notNull())
    .execute();
}

/** Index names follow one pattern so a later migration can find and drop them. */
async function index(db: Kysely<any>, table: string, columns: string[], unique = false): Promise<void> {
  let builder = db.schema.createIndex(`${table}_${columns.join('_')}_idx`).on(table).columns(columns);
  if (unique) builder = builder.unique();
  await builder.execute();
}
