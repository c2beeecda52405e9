// What a scheduled job is: a name, and a function that does one complete pass and returns
// what it counted. The runner (../runner.ts) holds the lease and records the run around it.

import type { Lifecycle } from '../service.ts';

export const JOB_NAMES = ['expiry', 'renewal-due', 'renewal-failed', 'orphans', 'drift', 'crl-refresh', 'webhook-delivery'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export type Counts = Record<string, number>;

export interface JobRun {
  lc: Lifecycle;
  /** The run's id (job_runs.id): alerts seen by this run carry it. */
  runId: string;
  /** One "now" for the whole pass, from the lifecycle's clock. */
  now: Date;
  /** Aborted when the lease is lost or the scheduler stops: stop between items. */
  signal: AbortSignal;
  /** Webhook deliveries the run queued; the runner sends them when the job is done. */
  queued: string[];
}

export interface Job {
  name: string;
  description: string;
  run(run: JobRun): Promise<Counts>;
}
