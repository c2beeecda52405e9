// How a scanning job reports: findings become alerts page by page, and once the whole pass
// is done, the alerts of its kinds it did not find again are resolved. An aborted pass
// resolves nothing: not having looked is not the same as not having found.

import { raise, resolveUnseen, type Finding } from '../alerts.ts';
import type { AlertKindName } from '../alert-kinds.ts';
import type { JobRun } from './job.ts';

export async function raiseFound(run: JobRun, findings: Finding[]): Promise<number> {
  if (findings.length === 0) return 0;
  const raised = await raise(run.lc, findings, run.now, run.runId);
  run.queued.push(...raised.deliveries);
  return raised.opened.length;
}

/** Throws the abort reason if the pass was cut short; returns how many alerts were resolved. */
export async function finishScan(run: JobRun, kinds: AlertKindName[]): Promise<number> {
  run.signal.throwIfAborted();
  const resolved = await resolveUnseen(run.lc, kinds, run.runId, run.now);
  run.queued.push(...resolved.deliveries);
  return resolved.resolved;
}
