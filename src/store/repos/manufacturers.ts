// Manufacturer trust anchors for IDevID birth certificates.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ManufacturersTable } from '../schema.ts';

export type ManufacturerRow = Selectable<ManufacturersTable>;

export async function insertManufacturer(db: Kysely<Database>, row: ManufacturersTable): Promise<void> {
  await db.insertInto('manufacturers').values(row).execute();
}

export async function getManufacturerByName(db: Kysely<Database>, name: string): Promise<ManufacturerRow | undefined> {
  return db.selectFrom('manufacturers').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listManufacturers(db: Kysely<Database>): Promise<ManufacturerRow[]> {
  return db.selectFrom('manufacturers').selectAll().orderBy('name').execute();
}
