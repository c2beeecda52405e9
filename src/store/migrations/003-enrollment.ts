// Enrollment (EST): one-time bootstrap tokens bound to a device and profile, and the
// manufacturer trust anchors that IEEE 802.1AR birth certificates (IDevIDs) chain to.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function enrollmentMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema
        .createTable('bootstrap_tokens')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('token_hash', t.text, (c) => c.notNull().unique())
        .addColumn('device_id', t.text, (c) => c.notNull().references('devices.id'))
        .addColumn('profile', t.text, (c) => c.notNull())
        .addColumn('expires_at', t.text, (c) => c.notNull())
        .addColumn('used_at', t.text)
        .addColumn('created_at', t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('bootstrap_tokens_device_id_idx').on('bootstrap_tokens').columns(['device_id']).execute();
      await db.schema
        .createTable('manufacturers')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('name', t.text, (c) => c.notNull().unique())
        .addColumn('subject', t.text, (c) => c.notNull())
        .addColumn('ski_hex', t.text, (c) => c.notNull())
        .addColumn('certificate_der', t.binary, (c) => c.notNull())
        .addColumn('created_at', t.text, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('manufacturers').ifExists().execute();
      await db.schema.dropTable('bootstrap_tokens').ifExists().execute();
    },
  };
}
