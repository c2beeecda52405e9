// Firmware signings: one row per image signed by `fleetpki firmware sign`, written in the same
// commit as its audit event, so every signature fleetpki produced can be found by image hash
// or by the certificate that made it (for instance after that certificate is revoked).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function firmwareMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema
        .createTable('firmware_signatures')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('image_sha256', t.text, (c) => c.notNull())
        .addColumn('image_size', t.bigint, (c) => c.notNull())
        .addColumn('version', t.text, (c) => c.notNull())
        .addColumn('certificate_id', t.text, (c) => c.notNull().references('certificates.id'))
        .addColumn('actor', t.text, (c) => c.notNull())
        .addColumn('manifest', t.text, (c) => c.notNull())
        .addColumn('signing_time', t.text, (c) => c.notNull())
        .addColumn('created_at', t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('firmware_signatures_image_sha256_idx').on('firmware_signatures').columns(['image_sha256']).execute();
      await db.schema.createIndex('firmware_signatures_certificate_id_idx').on('firmware_signatures').columns(['certificate_id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('firmware_signatures').ifExists().execute();
    },
  };
}
