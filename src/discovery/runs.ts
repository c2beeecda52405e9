// A run's record from start to finish. Starting and finishing are audit events: who looked
// where, and what it found, is part of the inventory's history.

import type { Context } from '../app/context.ts';
import { NotFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { getRun, insertRun, updateRun, type DiscoveryRunRow } from '../store/repos/discovery-runs.ts';
import type { DiscoveryRunKind, DiscoveryRunStatus } from '../store/schema.ts';
import type { ApplyCounts } from './apply-findings.ts';
import type { RunOptions } from './options.ts';

export async function startRun(ctx: Context, kind: DiscoveryRunKind, actor: string, options: RunOptions, total: number, about: Record<string, unknown>): Promise<DiscoveryRunRow> {
  const row: DiscoveryRunRow = {
    id: newId(),
    kind,
    status: 'running',
    actor,
    options: JSON.stringify(options),
    targets_total: total,
    targets_done: 0,
    targets_failed: 0,
    certificates_seen: 0,
    findings_opened: 0,
    error: null,
    started_at: new Date().toISOString(),
    finished_at: null,
  };
  await ctx.ledger.submit((trx) => insertRun(trx, row), [{ actor, action: `discovery.${kind}.start`, target: `discovery-run:${row.id}`, outcome: 'success', details: { targets: total, ...about } }]);
  return row;
}

export async function finishRun(ctx: Context, run: DiscoveryRunRow, status: DiscoveryRunStatus, counts: ApplyCounts, error: string | null = null): Promise<DiscoveryRunRow> {
  const finished = new Date().toISOString();
  return ctx.ledger.submit(async (trx, audit) => {
    await updateRun(trx, run.id, { status, findings_opened: counts.opened, error, finished_at: finished });
    const row = (await getRun(trx, run.id))!;
    audit.push({
      actor: run.actor,
      action: `discovery.${run.kind}.finish`,
      target: `discovery-run:${run.id}`,
      outcome: status === 'failed' ? 'error' : 'success',
      details: { status, targets: row.targets_done, failed: row.targets_failed, certificates: row.certificates_seen, findingsOpened: counts.opened, findingsCleared: counts.cleared, ...(error ? { error } : {}) },
    });
    return row;
  });
}

export async function getRunOrThrow(ctx: Context, id: string, kind?: DiscoveryRunKind): Promise<DiscoveryRunRow> {
  const row = await getRun(ctx.db, id);
  if (!row || (kind && row.kind !== kind)) throw new NotFound(`no discovery ${kind ?? 'run'} with id ${id}`);
  return row;
}
