// What every run does around its own work: collect what the targets showed, judge it at the
// end, and finish the record whatever happened. A run that breaks (the store goes away) is
// recorded as failed with the reason rather than left "running".

import type { Context } from '../app/context.ts';
import type { DiscoveryRunRow } from '../store/repos/discovery-runs.ts';
import { analyseRun } from './analyse.ts';
import type { RunOptions } from './options.ts';
import { mergeSeen, recordTarget, type SeenCertificate, type TargetOutcome } from './record.ts';
import { finishRun } from './runs.ts';

export interface RunHooks {
  /** Called once the run is recorded, before its first target (targets_total is known then). */
  onStart?: (run: DiscoveryRunRow) => void;
  /** Called after each target is recorded (progress bars). */
  onTarget?: (outcome: TargetOutcome) => void;
  /** Stops taking new targets; what was seen so far is still judged. */
  signal?: AbortSignal;
}

/** `work` calls `record` once per target. */
export async function executeRun(ctx: Context, run: DiscoveryRunRow, options: RunOptions, hooks: RunHooks, work: (record: (outcome: TargetOutcome) => Promise<void>) => Promise<void>): Promise<DiscoveryRunRow> {
  const seen = new Map<string, SeenCertificate>();
  const record = async (outcome: TargetOutcome) => {
    mergeSeen(seen, await recordTarget(ctx, run.id, outcome));
    hooks.onTarget?.(outcome);
  };
  try {
    hooks.onStart?.(run);
    await work(record);
    const counts = await analyseRun(ctx, [...seen.values()], { runId: run.id, now: new Date(), expiringWithinDays: options.expiringWithinDays });
    return await finishRun(ctx, run, hooks.signal?.aborted ? 'interrupted' : 'completed', counts);
  } catch (error) {
    ctx.log.error({ err: error, runId: run.id }, 'discovery run failed');
    return finishRun(ctx, run, 'failed', { opened: 0, cleared: 0 }, (error as Error).message);
  }
}
