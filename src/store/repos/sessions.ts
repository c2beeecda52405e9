// Dashboard sessions, keyed by the SHA-256 of the id in the cookie. Lookups join the user so
// that a disabled account or a changed role takes effect on the very next request.
import type { Kysely, Selectable } from 'kysely';
import type { Database, Role, SessionsTable, UserStatus } from '../schema.ts';

export type SessionRow = Selectable<SessionsTable>;

export interface SessionWithUser extends SessionRow {
  username: string;
  role: Role;
  user_status: UserStatus;
}

export async function insertSession(db: Kysely<Database>, row: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function getSession(db: Kysely<Database>, idHash: string): Promise<SessionWithUser | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('sessions')
    .select(['users.username', 'users.role', 'users.status as user_status'])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Kysely<Database>, idHash: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions past their absolute end, or idle since before `idleSince`. */
export async function deleteStaleSessions(db: Kysely<Database>, now: string, idleSince: string): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleSince)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
