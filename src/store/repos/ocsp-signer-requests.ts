import type { Kysely, Selectable } from 'kysely';
import type { Database, OcspSignerRequestsTable } from '../schema.ts';

export type OcspSignerRequestRow = Selectable<OcspSignerRequestsTable>;

export async function insertOcspSignerRequest(db: Kysely<Database>, row: OcspSignerRequestsTable): Promise<void> {
  await db.insertInto('ocsp_signer_requests').values(row).execute();
}

/** The pending request of this CA whose responder key has this SubjectPublicKeyInfo. */
export async function pendingOcspSignerRequest(db: Kysely<Database>, caId: string, spkiSha256: string): Promise<OcspSignerRequestRow | undefined> {
  return db.selectFrom('ocsp_signer_requests').selectAll().where('ca_id', '=', caId).where('spki_sha256', '=', spkiSha256).executeTakeFirst();
}

export async function listOcspSignerRequests(db: Kysely<Database>, caId: string): Promise<OcspSignerRequestRow[]> {
  return db.selectFrom('ocsp_signer_requests').selectAll().where('ca_id', '=', caId).orderBy('created_at').execute();
}

/** True when this call removed the row (a second import of the same request finds nothing). */
export async function deleteOcspSignerRequest(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('ocsp_signer_requests').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
