// Job leases in portable SQL: a lease is taken by one conditional UPDATE (free or expired),
// or by an INSERT that does nothing on conflict when the job has never run. Each is a single
// statement, so on PostgreSQL the row lock decides between racing instances (the loser's
// UPDATE re-reads the winner's row and no longer matches) and on SQLite the write lock does.

import type { Kysely } from 'kysely';
import type { Database, JobLeasesTable } from '../store/schema.ts';

export interface LeaseRequest {
  job: string;
  holder: string;
  now: Date;
  leaseMs: number;
  /** A scheduled run also waits for next_run_at; a manual run only for a running holder. */
  scheduled: boolean;
}

export async function acquireLease(db: Kysely<Database>, req: LeaseRequest): Promise<boolean> {
  const now = req.now.toISOString();
  const expires = new Date(req.now.getTime() + req.leaseMs).toISOString();
  let update = db
    .updateTable('job_leases')
    .set({ holder: req.holder, acquired_at: now, expires_at: expires })
    .where('job', '=', req.job)
    .where('expires_at', '<=', now);
  if (req.scheduled) update = update.where('next_run_at', '<=', now);
  const updated = await update.executeTakeFirst();
  if (updated.numUpdatedRows > 0n) return true;
  const inserted = await db
    .insertInto('job_leases')
    .values({ job: req.job, holder: req.holder, acquired_at: now, expires_at: expires, next_run_at: now })
    .onConflict((oc) => oc.column('job').doNothing())
    .executeTakeFirst();
  return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/** Extends a lease still held; false means another instance took it (ours had expired). */
export async function renewLease(db: Kysely<Database>, job: string, holder: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('job_leases')
    .set({ expires_at: until.toISOString() })
    .where('job', '=', job)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Ends a run: the lease is free at once, and no scheduled run starts before nextRunAt. */
export async function releaseLease(db: Kysely<Database>, job: string, holder: string, now: Date, nextRunAt: Date): Promise<void> {
  await db
    .updateTable('job_leases')
    .set({ expires_at: now.toISOString(), next_run_at: nextRunAt.toISOString() })
    .where('job', '=', job)
    .where('holder', '=', holder)
    .execute();
}

export async function getLease(db: Kysely<Database>, job: string): Promise<JobLeasesTable | undefined> {
  return db.selectFrom('job_leases').selectAll().where('job', '=', job).executeTakeFirst();
}

export async function listLeases(db: Kysely<Database>): Promise<JobLeasesTable[]> {
  return db.selectFrom('job_leases').selectAll().orderBy('job').execute();
}
