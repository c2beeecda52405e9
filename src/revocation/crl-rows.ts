// The crls table: the latest signed CRL of each (CA, partition), served as stored.

import type { Kysely } from 'kysely';
import type { CrlsTable, Database } from '../store/schema.ts';

export type CrlMeta = Omit<CrlsTable, 'der'>;

const META = ['ca_id', 'partition', 'crl_number', 'this_update', 'next_update', 'entries'] as const;

/** bigint columns come back as numbers from both engines (src/store/postgres.ts). */
function meta(row: CrlMeta): CrlMeta {
  return { ...row, crl_number: Number(row.crl_number), entries: Number(row.entries) };
}

export async function getCrlMeta(db: Kysely<Database>, caId: string, partition: string): Promise<CrlMeta | undefined> {
  const row = await db.selectFrom('crls').select(META).where('ca_id', '=', caId).where('partition', '=', partition).executeTakeFirst();
  return row && meta(row);
}

export async function getCrlDer(db: Kysely<Database>, caId: string, partition: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('crls').select('der').where('ca_id', '=', caId).where('partition', '=', partition).executeTakeFirst();
  return row?.der;
}

/** Without the DER: a full CRL of a large fleet is megabytes. */
export async function listCrlMeta(db: Kysely<Database>, caId?: string): Promise<CrlMeta[]> {
  let query = db.selectFrom('crls').select(META);
  if (caId) query = query.where('ca_id', '=', caId);
  return (await query.orderBy('ca_id').orderBy('partition').execute()).map(meta);
}

export async function highestCrlNumber(db: Kysely<Database>, caId: string): Promise<number> {
  const row = await db.selectFrom('crls').select((eb) => eb.fn.max('crl_number').as('n')).where('ca_id', '=', caId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function saveCrl(db: Kysely<Database>, row: CrlsTable): Promise<void> {
  const { ca_id: _ca, partition: _partition, ...update } = row;
  await db
    .insertInto('crls')
    .values(row)
    .onConflict((oc) => oc.columns(['ca_id', 'partition']).doUpdateSet(update))
    .execute();
}

export async function deleteCrls(db: Kysely<Database>, caId: string, partitions: string[]): Promise<void> {
  if (partitions.length === 0) return;
  await db.deleteFrom('crls').where('ca_id', '=', caId).where('partition', 'in', partitions).execute();
}
