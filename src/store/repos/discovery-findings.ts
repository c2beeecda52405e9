// Findings about discovered certificates: one row per certificate and kind.
import type { Kysely, Selectable } from 'kysely';
import type { Database, DiscoveryFindingsTable, FindingSeverity, FindingStatus } from '../schema.ts';
import { checkLimit, toPage, type Page, type PageResult } from './page.ts';

export type FindingRow = Selectable<DiscoveryFindingsTable>;

export async function findingsOf(db: Kysely<Database>, certificateIds: string[]): Promise<FindingRow[]> {
  if (certificateIds.length === 0) return [];
  return db.selectFrom('discovery_findings').selectAll().where('certificate_id', 'in', certificateIds).orderBy('id').execute();
}

export async function getFinding(db: Kysely<Database>, id: string): Promise<FindingRow | undefined> {
  return db.selectFrom('discovery_findings').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertFinding(db: Kysely<Database>, row: DiscoveryFindingsTable): Promise<void> {
  await db.insertInto('discovery_findings').values(row).execute();
}

export async function updateFinding(db: Kysely<Database>, id: string, patch: Partial<Omit<DiscoveryFindingsTable, 'id' | 'certificate_id' | 'kind'>>): Promise<void> {
  await db.updateTable('discovery_findings').set(patch).where('id', '=', id).execute();
}

export interface FindingFilter {
  kind?: string;
  status?: FindingStatus;
  severity?: FindingSeverity;
  certificateId?: string;
  /** Findings the given run raised or saw again. */
  runId?: string;
}

export async function searchFindings(db: Kysely<Database>, filter: FindingFilter, page: Page): Promise<PageResult<FindingRow>> {
  const limit = checkLimit(page.limit);
  let query = db.selectFrom('discovery_findings').selectAll();
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.certificateId) query = query.where('certificate_id', '=', filter.certificateId);
  if (filter.runId) query = query.where('last_run_id', '=', filter.runId);
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  return toPage(await query.orderBy('id').limit(limit + 1).execute(), limit);
}
