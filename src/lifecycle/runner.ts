// One run of one job: take the lease, record the run, keep the lease alive while the job
// works, record how it ended, raise or clear the job.failed alert, send the webhooks the run
// queued, and release the lease with the next scheduled time. Without the lease nothing runs.

import type { JobLeasesTable, JobOutcome, JobTrigger } from '../store/schema.ts';
import { raise, resolveSubject } from './alerts.ts';
import type { Counts, Job } from './jobs/job.ts';
import { acquireLease, getLease, releaseLease, renewLease } from './leases.ts';
import { countRun, type TalliedOutcome } from './run-tally.ts';
import { finishRun, startRun } from './runs.ts';
import type { Lifecycle } from './service.ts';
import { deliverDue } from './webhooks/outbox.ts';

export type RunResult =
  | { ran: true; runId: string; outcome: Exclude<JobOutcome, 'running'>; counts: Counts; error: string | null }
  | { ran: false; lease: JobLeasesTable | undefined };

export function intervalMs(lc: Lifecycle, job: string): number {
  const settings = (lc.config.jobs as Record<string, { intervalSeconds: number } | undefined>)[job];
  return (settings?.intervalSeconds ?? 3600) * 1000;
}

/** Renews the lease every third of its length; aborts the run if another instance has taken it. */
function heartbeat(lc: Lifecycle, job: string, controller: AbortController): NodeJS.Timeout {
  const leaseMs = lc.config.leaseSeconds * 1000;
  const timer = setInterval(() => {
    renewLease(lc.ctx.db, job, lc.instanceId, new Date(lc.clock().getTime() + leaseMs))
      .then((held) => held || controller.abort(new Error(`lost the lease of job ${job}`)))
      .catch((error) => lc.ctx.log.warn({ err: error, job }, 'could not renew the job lease'));
  }, leaseMs / 3);
  timer.unref();
  return timer;
}

async function execute(lc: Lifecycle, job: Job, runId: string, now: Date, signal: AbortSignal): Promise<{ counts: Counts; error: string | null; queued: string[] }> {
  const queued: string[] = [];
  try {
    const counts = await job.run({ lc, runId, now, signal, queued });
    signal.throwIfAborted();
    queued.push(...(await resolveSubject(lc, 'job.failed', `job:${job.name}`, lc.clock())));
    return { counts, error: null, queued };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Cut short (stopping, or the lease went to another instance) is not a failure of the job.
    if (signal.aborted) return { counts: {}, error: `aborted: ${message}`, queued };
    lc.ctx.log.error({ err: error, job: job.name, run: runId }, `lifecycle job ${job.name} failed`);
    const failed = { kind: 'job.failed' as const, subject: `job:${job.name}`, summary: `lifecycle job ${job.name} failed: ${message}`, details: { job: job.name, run: runId, error: message } };
    const raised = await raise(lc, [failed], lc.clock(), runId).catch(() => ({ deliveries: [] as string[] }));
    return { counts: {}, error: message, queued: [...queued, ...raised.deliveries] };
  }
}

export async function runJob(lc: Lifecycle, job: Job, trigger: JobTrigger, stop?: AbortSignal): Promise<RunResult> {
  const { db } = lc.ctx;
  const now = lc.clock();
  const leaseMs = lc.config.leaseSeconds * 1000;
  if (!(await acquireLease(db, { job: job.name, holder: lc.instanceId, now, leaseMs, scheduled: trigger === 'schedule' }))) {
    return { ran: false, lease: await getLease(db, job.name) };
  }
  const controller = new AbortController();
  const onStop = () => controller.abort(new Error('the scheduler is stopping'));
  stop?.addEventListener('abort', onStop);
  const timer = heartbeat(lc, job.name, controller);
  let runId: string | undefined;
  // For fleetpki_job_runs_total: a run whose record could not even be written (the store
  // failed) is this process's failed run too.
  let counted: TalliedOutcome = 'error';
  try {
    runId = await startRun(db, job.name, lc.instanceId, trigger, now);
    const result = await execute(lc, job, runId, now, controller.signal);
    const outcome = result.error === null ? 'success' : 'error';
    counted = outcome;
    await finishRun(db, runId, outcome, lc.clock(), result.counts, result.error);
    if (!controller.signal.aborted) await deliverDue(lc, controller.signal, result.queued);
    return { ran: true, runId, outcome, counts: result.counts, error: result.error };
  } finally {
    countRun(lc.ctx, job.name, counted);
    clearInterval(timer);
    stop?.removeEventListener('abort', onStop);
    await releaseLease(db, job.name, lc.instanceId, lc.clock(), new Date(now.getTime() + intervalMs(lc, job.name)));
  }
}
