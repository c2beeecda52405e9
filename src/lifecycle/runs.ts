// The record of every job run (job_runs): started, finished with an outcome and counts, or
// abandoned when its instance died holding the lease.

import type { Kysely } from 'kysely';
import { newId } from '../ids.ts';
import type { Database, JobOutcome, JobRunsTable, JobTrigger } from '../store/schema.ts';
import type { Counts } from './jobs/job.ts';

export async function startRun(db: Kysely<Database>, job: string, holder: string, trigger: JobTrigger, now: Date): Promise<string> {
  // Whoever holds the lease now is the only one running the job: an unfinished run is from
  // an instance that lost its lease (crashed, or paused past the lease).
  await db
    .updateTable('job_runs')
    .set({ outcome: 'abandoned', ended_at: now.toISOString(), error: 'the instance running it lost its lease' })
    .where('job', '=', job)
    .where('outcome', '=', 'running')
    .execute();
  const id = newId(now.getTime());
  await db
    .insertInto('job_runs')
    .values({ id, job, holder, trigger, started_at: now.toISOString(), ended_at: null, outcome: 'running', counts: '{}', error: null })
    .execute();
  return id;
}

export async function finishRun(db: Kysely<Database>, id: string, outcome: Exclude<JobOutcome, 'running'>, now: Date, counts: Counts, error: string | null): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ outcome, ended_at: now.toISOString(), counts: JSON.stringify(counts), error })
    .where('id', '=', id)
    .where('outcome', '=', 'running')
    .execute();
}

export async function lastRuns(db: Kysely<Database>, job: string, limit: number): Promise<JobRunsTable[]> {
  return db.selectFrom('job_runs').selectAll().where('job', '=', job).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function getRun(db: Kysely<Database>, id: string): Promise<JobRunsTable | undefined> {
  return db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
}
