// The record of firmware signings, searched by image hash or by signer certificate.
import type { Kysely, Selectable } from 'kysely';
import type { Database, FirmwareSignaturesTable } from '../schema.ts';
import { checkLimit, toPage, type Page, type PageResult } from './page.ts';

export type FirmwareSignatureRow = Selectable<FirmwareSignaturesTable>;

export interface FirmwareSignatureFilter {
  imageSha256?: string;
  certificateId?: string;
}

export async function insertFirmwareSignature(db: Kysely<Database>, row: FirmwareSignaturesTable): Promise<void> {
  await db.insertInto('firmware_signatures').values(row).execute();
}

export async function searchFirmwareSignatures(db: Kysely<Database>, filter: FirmwareSignatureFilter, page: Page): Promise<PageResult<FirmwareSignatureRow>> {
  const limit = checkLimit(page.limit);
  let query = db.selectFrom('firmware_signatures').selectAll();
  if (filter.imageSha256 !== undefined) query = query.where('image_sha256', '=', filter.imageSha256.toLowerCase());
  if (filter.certificateId !== undefined) query = query.where('certificate_id', '=', filter.certificateId);
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  const rows = await query.orderBy('id').limit(limit + 1).execute();
  return toPage(rows.map((row) => ({ ...row, image_size: Number(row.image_size) })), limit);
}
