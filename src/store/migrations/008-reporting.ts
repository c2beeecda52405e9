// Indexes the reports (src/reporting) need at fleet scale, each because EXPLAIN showed a
// scan of the whole ledger without it:
// - key_type: the weak key types present are found by a skip scan over this index, and
//   their certificates by one range each (otherwise a full scan per risk page);
// - (device_id, profile, created_at): "did this device get a later certificate under the
//   same profile?", asked for every candidate of the risk report and the compliance
//   summary. Without it SQLite, having no statistics, answers from the profile index alone,
//   walking every certificate of the profile for each candidate.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';

export function reportingMigration(_engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('certificates_key_type_idx').on('certificates').columns(['key_type']).execute();
      await db.schema.createIndex('certificates_device_id_profile_created_at_idx').on('certificates').columns(['device_id', 'profile', 'created_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('certificates_device_id_profile_created_at_idx').ifExists().execute();
      await db.schema.dropIndex('certificates_key_type_idx').ifExists().execute();
    },
  };
}
