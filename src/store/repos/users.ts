// Dashboard user accounts. Usernames are unique; a disabled account keeps its row (the audit
// log names it) but can no longer sign in.
import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from '../schema.ts';

export type UserRow = Selectable<UsersTable>;

export async function insertUser(db: Kysely<Database>, row: UsersTable): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function getUserByName(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute();
}

/** False when no active user has that name. */
export async function disableUser(db: Kysely<Database>, username: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ status: 'disabled', updated_at: at })
    .where('username', '=', username)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function recordSignIn(db: Kysely<Database>, id: string, at: string): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: at }).where('id', '=', id).execute();
}
