import type { Kysely, Selectable } from 'kysely';
import type { Database, OcspSignersTable } from '../schema.ts';

export type OcspSignerRow = Selectable<OcspSignersTable>;

export async function insertOcspSigner(db: Kysely<Database>, row: OcspSignersTable): Promise<void> {
  await db.insertInto('ocsp_signers').values(row).execute();
}

/** The signer of a CA that stays valid longest (older ones are kept as a record, and stay valid until they expire). */
export async function latestOcspSigner(db: Kysely<Database>, caId: string): Promise<OcspSignerRow | undefined> {
  return db.selectFrom('ocsp_signers').selectAll().where('ca_id', '=', caId).orderBy('not_after', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function listOcspSigners(db: Kysely<Database>, caId: string): Promise<OcspSignerRow[]> {
  return db.selectFrom('ocsp_signers').selectAll().where('ca_id', '=', caId).orderBy('not_after').execute();
}
