import type { Expression, ExpressionBuilder, Insertable, Kysely, Selectable, SqlBool, Updateable } from 'kysely';
import type { Criticality, Database, DevicesTable, DeviceStatus } from '../schema.ts';
import { containsCi } from './contains.ts';
import { checkLimit, toPage, type Page, type PageResult } from './page.ts';
import { hasChanges } from './patch.ts';

export type DeviceRow = Selectable<DevicesTable>;
export type NewDevice = Insertable<DevicesTable>;
/** The caller sets updated_at: the store does not read the clock. */
export type DevicePatch = Omit<Updateable<DevicesTable>, 'id'>;

export interface DeviceFilter {
  status?: DeviceStatus;
  deviceClass?: string;
  environment?: string;
  site?: string;
  owner?: string;
  criticality?: Criticality;
  /** Case-insensitive substring of id, external serial, model or owner. */
  q?: string;
}

export async function insertDevice(db: Kysely<Database>, row: NewDevice): Promise<void> {
  await db.insertInto('devices').values(row).execute();
}

export async function getDevice(db: Kysely<Database>, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getDeviceBySerial(db: Kysely<Database>, externalSerial: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('external_serial', '=', externalSerial).executeTakeFirst();
}

export async function updateDevice(db: Kysely<Database>, id: string, patch: DevicePatch): Promise<DeviceRow | undefined> {
  if (!hasChanges(patch)) return getDevice(db, id);
  return db.updateTable('devices').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function searchDevices(db: Kysely<Database>, filter: DeviceFilter, page: Page): Promise<PageResult<DeviceRow>> {
  const limit = checkLimit(page.limit);
  let query = db.selectFrom('devices').selectAll().where((eb) => deviceWhere(eb, filter));
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  return toPage(await query.orderBy('id').limit(limit + 1).execute(), limit);
}

export async function countDevices(db: Kysely<Database>, filter: DeviceFilter): Promise<number> {
  const row = await db
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) => deviceWhere(eb, filter))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function deviceWhere(eb: ExpressionBuilder<Database, 'devices'>, f: DeviceFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (f.status !== undefined) conditions.push(eb('status', '=', f.status));
  if (f.deviceClass !== undefined) conditions.push(eb('device_class', '=', f.deviceClass));
  if (f.environment !== undefined) conditions.push(eb('environment', '=', f.environment));
  if (f.site !== undefined) conditions.push(eb('site', '=', f.site));
  if (f.owner !== undefined) conditions.push(eb('owner', '=', f.owner));
  if (f.criticality !== undefined) conditions.push(eb('criticality', '=', f.criticality));
  if (f.q) {
    const q = f.q;
    conditions.push(eb.or(['id', 'external_serial', 'model', 'owner'].map((col) => containsCi(col, q))));
  }
  return eb.and(conditions);
}
