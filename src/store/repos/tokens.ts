// API tokens are looked up by the SHA-256 of the presented secret; the secret itself is
// never stored, so a leaked database does not leak usable tokens.
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database } from '../schema.ts';

export type TokenRow = Selectable<ApiTokensTable>;
export type NewToken = Insertable<ApiTokensTable>;

export async function insertToken(db: Kysely<Database>, row: NewToken): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

export async function getTokenByHash(db: Kysely<Database>, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function getToken(db: Kysely<Database>, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTokens(db: Kysely<Database>): Promise<TokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** False when the token does not exist or was already revoked: the first revocation time stands. */
export async function revokeToken(db: Kysely<Database>, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function touchToken(db: Kysely<Database>, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
