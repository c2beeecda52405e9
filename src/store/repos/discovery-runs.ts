// Discovery runs (scans, imports) and the outcome at each of their targets.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, DiscoveryRunsTable, DiscoveryRunTargetsTable } from '../schema.ts';

export type DiscoveryRunRow = Selectable<DiscoveryRunsTable>;
export type RunTargetRow = Selectable<DiscoveryRunTargetsTable>;

export async function insertRun(db: Kysely<Database>, row: DiscoveryRunsTable): Promise<void> {
  await db.insertInto('discovery_runs').values(row).execute();
}

export async function getRun(db: Kysely<Database>, id: string): Promise<DiscoveryRunRow | undefined> {
  return db.selectFrom('discovery_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Counters move in SQL so that concurrent targets of one run never overwrite each other's counts. */
export async function insertRunTarget(db: Kysely<Database>, row: DiscoveryRunTargetsTable): Promise<void> {
  await db.insertInto('discovery_run_targets').values(row).execute();
  await db
    .updateTable('discovery_runs')
    .set({
      targets_done: sql`targets_done + 1`,
      targets_failed: sql`targets_failed + ${row.outcome === 'error' ? 1 : 0}`,
      certificates_seen: sql`certificates_seen + ${row.certificates}`,
    })
    .where('id', '=', row.run_id)
    .execute();
}

export async function listRunTargets(db: Kysely<Database>, runId: string): Promise<RunTargetRow[]> {
  return db.selectFrom('discovery_run_targets').selectAll().where('run_id', '=', runId).orderBy('target').execute();
}

export async function updateRun(db: Kysely<Database>, id: string, patch: Partial<Omit<DiscoveryRunsTable, 'id'>>): Promise<void> {
  await db.updateTable('discovery_runs').set(patch).where('id', '=', id).execute();
}
