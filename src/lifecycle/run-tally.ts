// Job runs this process ran to an end, by job and outcome, for fleetpki_job_runs_total. The
// job_runs table holds every instance's runs and is the record; a counter must only ever go
// up within one process, and a count read from the table would fall as old runs age out of a
// window and jump when another instance runs a job. So the runner counts its own runs here,
// per Context (one per process in production; tests open several), and /metrics reads them.

import type { Context } from '../app/context.ts';

export type TalliedOutcome = 'success' | 'error';

export interface RunCount {
  job: string;
  outcome: TalliedOutcome;
  value: number;
}

const tallies = new WeakMap<Context, Map<string, RunCount>>();

export function countRun(ctx: Context, job: string, outcome: TalliedOutcome): void {
  let tally = tallies.get(ctx);
  if (!tally) tallies.set(ctx, (tally = new Map()));
  const key = `${job} ${outcome}`;
  const entry = tally.get(key) ?? { job, outcome, value: 0 };
  entry.value += 1;
  tally.set(key, entry);
}

/** Every (job, outcome) this Context's runner has counted, since the process started. */
export function runCounts(ctx: Context): RunCount[] {
  return [...(tallies.get(ctx)?.values() ?? [])].map((c) => ({ ...c }));
}
