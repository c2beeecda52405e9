import type { Expression, ExpressionBuilder, Insertable, Kysely, Selectable, SqlBool } from 'kysely';
import { executeCompiled } from '../compiled.ts';
import type { CertificatesTable, CertificateStatus, Database } from '../schema.ts';
import { containsCi } from './contains.ts';
import { checkLimit, toPage, type Page, type PageResult } from './page.ts';

export type CertificateRow = Selectable<CertificatesTable>;
export type NewCertificate = Insertable<CertificatesTable>;

export interface CertificateFilter {
  status?: CertificateStatus;
  deviceId?: string;
  issuerId?: string;
  profile?: string;
  /** ISO timestamp: not_after < value. */
  expiringBefore?: string;
  /** ISO timestamp: not_after >= value. */
  expiringAfter?: string;
  /** Hex serial; compared lower-case, as stored. */
  serial?: string;
  /** Case-insensitive substring of the subject or the SANs. */
  q?: string;
}

export interface StatusChange {
  status: CertificateStatus;
  revocation_reason: string | null;
  revoked_at: string | null;
}

// 19 columns x 100 rows stays far below SQLite's 32766 and PostgreSQL's 65535 bind parameters.
const INSERT_CHUNK = 100;

const COLUMNS = [
  'id', 'issuer_id', 'serial_hex', 'subject', 'sans', 'key_type', 'spki_sha256', 'fingerprint_sha256', 'not_before', 'not_after',
  'renew_after', 'status', 'revocation_reason', 'revoked_at', 'profile', 'device_id', 'replaces_id', 'der', 'created_at',
] as const satisfies readonly (keyof CertificatesTable)[];

/** One certificate: the INSERT is compiled once per dialect (store/compiled.ts), it runs for every issuance. */
export async function insertCertificate(db: Kysely<Database>, row: NewCertificate): Promise<void> {
  const values = COLUMNS.map((column) => row[column] ?? null);
  const template = () => Object.fromEntries(COLUMNS.map((column, i) => [column, values[i]])) as NewCertificate;
  await executeCompiled(db, 'certificates.insert', () => db.insertInto('certificates').values(template()), values);
}

/**
 * Records a batch (group commit of concurrent issuances). All or nothing: the chunks run
 * in one transaction, the caller's if db already is one.
 */
export async function insertCertificates(db: Kysely<Database>, rows: NewCertificate[]): Promise<void> {
  if (rows.length <= INSERT_CHUNK || db.isTransaction) return insertChunks(db, rows);
  await db.transaction().execute((trx) => insertChunks(trx, rows));
}

async function insertChunks(db: Kysely<Database>, rows: NewCertificate[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db.insertInto('certificates').values(rows.slice(i, i + INSERT_CHUNK)).execute();
  }
}

export async function getCertificate(db: Kysely<Database>, id: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getCertificateBySerial(
  db: Kysely<Database>,
  issuerId: string,
  serialHex: string,
): Promise<CertificateRow | undefined> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('serial_hex', '=', serialHex.toLowerCase())
    .executeTakeFirst();
}

export async function searchCertificates(
  db: Kysely<Database>,
  filter: CertificateFilter,
  page: Page,
): Promise<PageResult<CertificateRow>> {
  const limit = checkLimit(page.limit);
  let query = db.selectFrom('certificates').selectAll().where((eb) => certificateWhere(eb, filter));
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  return toPage(await query.orderBy('id').limit(limit + 1).execute(), limit);
}

export async function countCertificates(db: Kysely<Database>, filter: CertificateFilter): Promise<number> {
  const row = await db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) => certificateWhere(eb, filter))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Newest first: the device's current certificate, then the ones it replaced. */
export async function listCertificatesForDevice(db: Kysely<Database>, deviceId: string): Promise<CertificateRow[]> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('device_id', '=', deviceId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function updateCertificateStatus(db: Kysely<Database>, id: string, change: StatusChange): Promise<boolean> {
  const { status, revocation_reason, revoked_at } = change;
  const result = await db
    .updateTable('certificates')
    .set({ status, revocation_reason, revoked_at })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Every status is present, zero when no certificate has it, so dashboards need no defaults. */
export async function countCertificatesByStatus(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('certificates')
    .select((eb) => ['status', eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<string, number> = { valid: 0, revoked: 0, on_hold: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

function certificateWhere(eb: ExpressionBuilder<Database, 'certificates'>, f: CertificateFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (f.status !== undefined) conditions.push(eb('status', '=', f.status));
  if (f.deviceId !== undefined) conditions.push(eb('device_id', '=', f.deviceId));
  if (f.issuerId !== undefined) conditions.push(eb('issuer_id', '=', f.issuerId));
  if (f.profile !== undefined) conditions.push(eb('profile', '=', f.profile));
  if (f.expiringBefore !== undefined) conditions.push(eb('not_after', '<', f.expiringBefore));
  if (f.expiringAfter !== undefined) conditions.push(eb('not_after', '>=', f.expiringAfter));
  if (f.serial !== undefined) conditions.push(eb('serial_hex', '=', f.serial.toLowerCase()));
  if (f.q) conditions.push(eb.or([containsCi('subject', f.q), containsCi('sans', f.q)]));
  return eb.and(conditions);
}
