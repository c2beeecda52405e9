// Profiles are stored as JSON text; parsing and validating them is the RA's business
// (src/ra/profile.ts), so the store neither depends on nor second-guesses that type.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ProfilesTable } from '../schema.ts';

export type ProfileRow = Selectable<ProfilesTable>;

export interface ProfileInput {
  name: string;
  /** JSON text of the profile. */
  definition: string;
  /** ISO timestamp: created_at on first insert, updated_at always. */
  now: string;
}

/** Insert, or replace the definition of an existing profile keeping its created_at. */
export async function upsertProfile(db: Kysely<Database>, input: ProfileInput): Promise<ProfileRow> {
  const { name, definition, now } = input;
  return db
    .insertInto('profiles')
    .values({ name, definition, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ definition, updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProfile(db: Kysely<Database>, name: string): Promise<ProfileRow | undefined> {
  return db.selectFrom('profiles').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listProfiles(db: Kysely<Database>): Promise<ProfileRow[]> {
  return db.selectFrom('profiles').selectAll().orderBy('name').execute();
}

export async function deleteProfile(db: Kysely<Database>, name: string): Promise<boolean> {
  const result = await db.deleteFrom('profiles').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
