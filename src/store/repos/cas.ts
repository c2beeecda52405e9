import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { CasTable, Database } from '../schema.ts';
import { hasChanges } from './patch.ts';

export type CaRow = Selectable<CasTable>;
export type NewCa = Insertable<CasTable>;
export type CaPatch = Omit<Updateable<CasTable>, 'id'>;

export async function insertCa(db: Kysely<Database>, row: NewCa): Promise<void> {
  await db.insertInto('cas').values(row).execute();
}

export async function getCa(db: Kysely<Database>, id: string): Promise<CaRow | undefined> {
  return db.selectFrom('cas').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getCaByName(db: Kysely<Database>, name: string): Promise<CaRow | undefined> {
  return db.selectFrom('cas').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Oldest first, so a root is listed before the issuing CAs created under it. */
export async function listCas(db: Kysely<Database>): Promise<CaRow[]> {
  return db.selectFrom('cas').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function updateCa(db: Kysely<Database>, id: string, patch: CaPatch): Promise<CaRow | undefined> {
  if (!hasChanges(patch)) return getCa(db, id);
  return db.updateTable('cas').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}
