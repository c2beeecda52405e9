// The web dashboard's people: user accounts (a username and an scrypt password hash) and
// their sign-in sessions. A session is found by the SHA-256 of its id, so the table never
// holds a value that could be replayed as a cookie.
//
// And the indexes its lists need at fleet scale: a page of "valid certificates" or
// "suspended devices" is keyset-paged by id, and without (status, id) SQLite finds the rows
// by status, then sorts every one of them by id to return the first 50 (half a million rows
// with their DER, with a million certificates). With it, the page is one index range.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function dashboardMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema
        .createTable('users')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('username', t.text, (c) => c.notNull().unique())
        .addColumn('role', t.text, (c) => c.notNull())
        .addColumn('password_hash', t.text, (c) => c.notNull())
        .addColumn('status', t.text, (c) => c.notNull())
        .addColumn('created_at', t.text, (c) => c.notNull())
        .addColumn('updated_at', t.text, (c) => c.notNull())
        .addColumn('last_sign_in_at', t.text)
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', t.text, (c) => c.primaryKey().notNull())
        .addColumn('user_id', t.text, (c) => c.notNull().references('users.id'))
        .addColumn('created_at', t.text, (c) => c.notNull())
        .addColumn('expires_at', t.text, (c) => c.notNull())
        .addColumn('last_seen_at', t.text, (c) => c.notNull())
        .execute();
      // Disabling a user ends its sessions; sign-in sweeps out expired ones.
      await db.schema.createIndex('sessions_user_id_idx').on('sessions').columns(['user_id']).execute();
      await db.schema.createIndex('sessions_expires_at_idx').on('sessions').columns(['expires_at']).execute();
      await db.schema.createIndex('certificates_status_id_idx').on('certificates').columns(['status', 'id']).execute();
      await db.schema.createIndex('devices_status_id_idx').on('devices').columns(['status', 'id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('devices_status_id_idx').ifExists().execute();
      await db.schema.dropIndex('certificates_status_id_idx').ifExists().execute();
      await db.schema.dropTable('sessions').ifExists().execute();
      await db.schema.dropTable('users').ifExists().execute();
    },
  };
}
