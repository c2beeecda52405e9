// One-time EST bootstrap tokens, looked up by the SHA-256 of the presented secret.
import type { Kysely, Selectable } from 'kysely';
import type { BootstrapTokensTable, Database } from '../schema.ts';

export type BootstrapTokenRow = Selectable<BootstrapTokensTable>;

export async function insertBootstrapToken(db: Kysely<Database>, row: BootstrapTokensTable): Promise<void> {
  await db.insertInto('bootstrap_tokens').values(row).execute();
}

export async function getBootstrapTokenByHash(db: Kysely<Database>, hash: string): Promise<BootstrapTokenRow | undefined> {
  return db.selectFrom('bootstrap_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function listBootstrapTokensForDevice(db: Kysely<Database>, deviceId: string): Promise<BootstrapTokenRow[]> {
  return db.selectFrom('bootstrap_tokens').selectAll().where('device_id', '=', deviceId).orderBy('created_at').orderBy('id').execute();
}

/**
 * Marks the token used if it is still unused and unexpired; false otherwise. The condition
 * sits in the UPDATE itself, so of two transactions racing for one token only one matches.
 */
export async function useBootstrapToken(db: Kysely<Database>, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('bootstrap_tokens')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
