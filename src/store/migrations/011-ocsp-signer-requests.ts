// Pending requests for the delegated OCSP responder certificate of a CA kept offline
// (`fleetpki ocsp request`). The responder key is made on the online instance and never
// leaves it: it waits here, sealed, until the certificate the offline instance signed for
// it comes back (`fleetpki ocsp import`), which moves it into ocsp_signers under the same
// id (the seal is bound to that id) and deletes the request.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function ocspSignerRequestsMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema
        .createTable('ocsp_signer_requests')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('ca_id', t.text, (c) => c.notNull().references('cas.id'))
        /** SHA-256 of the responder key's SubjectPublicKeyInfo: how the imported certificate finds its request. */
        .addColumn('spki_sha256', t.text, (c) => c.notNull())
        .addColumn('encrypted_key', t.binary, (c) => c.notNull())
        .addColumn('request_sha256', t.text, (c) => c.notNull())
        .addColumn('created_at', t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ocsp_signer_requests_ca_id_idx').on('ocsp_signer_requests').columns(['ca_id', 'spki_sha256']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('ocsp_signer_requests').ifExists().execute();
    },
  };
}
