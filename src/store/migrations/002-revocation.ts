// Revocation (CRLs, OCSP): the latest CRL of every CA partition, and the delegated OCSP
// signing certificates fleetpki issues to itself, one current per CA.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function revocationMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema
        .createTable('crls')
        .addColumn('ca_id', t.text, (c) => c.notNull().references('cas.id'))
        .addColumn('partition', t.text, (c) => c.notNull())
        .addColumn('crl_number', t.bigint, (c) => c.notNull())
        .addColumn('this_update', t.text, (c) => c.notNull())
        .addColumn('next_update', t.text, (c) => c.notNull())
        .addColumn('entries', t.bigint, (c) => c.notNull())
        .addColumn('der', t.binary, (c) => c.notNull())
        .addPrimaryKeyConstraint('crls_pk', ['ca_id', 'partition'])
        .execute();
      await db.schema
        .createTable('ocsp_signers')
        .addColumn('id', t.text, (c) => c.primaryKey().notNull())
        .addColumn('ca_id', t.text, (c) => c.notNull().references('cas.id'))
        .addColumn('certificate_der', t.binary, (c) => c.notNull())
        .addColumn('encrypted_key', t.binary, (c) => c.notNull())
        .addColumn('not_before', t.text, (c) => c.notNull())
        .addColumn('not_after', t.text, (c) => c.notNull())
        .addColumn('created_at', t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ocsp_signers_ca_id_not_after_idx').on('ocsp_signers').columns(['ca_id', 'not_after']).execute();
      // CRL generation reads the non-valid certificates of one issuer.
      await db.schema.createIndex('certificates_issuer_id_status_idx').on('certificates').columns(['issuer_id', 'status']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('certificates_issuer_id_status_idx').ifExists().execute();
      await db.schema.dropTable('ocsp_signers').ifExists().execute();
      await db.schema.dropTable('crls').ifExists().execute();
    },
  };
}
