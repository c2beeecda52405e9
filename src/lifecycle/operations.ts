// What operators do with the lifecycle through the API and CLI: run a job now, see the
// leases and last runs, list and acknowledge alerts. Acknowledging and running are audited.

import { audited } from '../app/refusal.ts';
import { BadRequest, Conflict, NotFound } from '../errors.ts';
import type { AlertsTable, AlertSeverity, AlertState, JobLeasesTable, JobRunsTable, WebhookDeliveriesTable } from '../store/schema.ts';
import { ALERT_KINDS, type AlertKindName } from './alert-kinds.ts';
import { listLeases } from './leases.ts';
import { intervalMs, runJob, type RunResult } from './runner.ts';
import { lastRuns } from './runs.ts';
import type { Lifecycle } from './service.ts';
import { alertPayload } from './webhooks/payload.ts';

/** Runs a job now (not waiting for its next_run_at); Conflict while another instance runs it. */
export async function runJobNow(lc: Lifecycle, name: string, actor: string): Promise<Extract<RunResult, { ran: true }>> {
  return audited(lc.ctx, actor, 'lifecycle.run', `job:${name}`, async () => {
    const job = lc.jobs.get(name);
    if (!job) throw new NotFound(`no lifecycle job named ${name}; jobs: ${[...lc.jobs.keys()].join(', ')}`);
    const result = await runJob(lc, job, 'manual');
    if (!result.ran) {
      const lease = result.lease;
      throw new Conflict(`job ${name} is running on instance ${lease?.holder ?? '?'} (lease until ${lease?.expires_at ?? '?'}); try again when it is done`);
    }
    await lc.ctx.ledger.audit([{ actor, action: 'lifecycle.run', target: `job:${name}`, outcome: 'success', details: { run: result.runId, outcome: result.outcome, counts: result.counts } }]);
    return result;
  });
}

export function runView(row: JobRunsTable) {
  return { id: row.id, job: row.job, holder: row.holder, trigger: row.trigger, startedAt: row.started_at, endedAt: row.ended_at, outcome: row.outcome, counts: JSON.parse(row.counts) as Record<string, number>, error: row.error };
}

export interface JobStatus {
  name: string;
  description: string;
  enabled: boolean;
  intervalSeconds: number;
  /** Holder and times of the lease, null before the first run anywhere. */
  lease: { holder: string; acquiredAt: string; expiresAt: string; nextRunAt: string } | null;
  running: boolean;
  lastRun: ReturnType<typeof runView> | null;
}

export async function lifecycleStatus(lc: Lifecycle): Promise<{ instance: string; now: string; jobs: JobStatus[] }> {
  const now = lc.clock();
  const leases = new Map<string, JobLeasesTable>((await listLeases(lc.ctx.db)).map((l) => [l.job, l]));
  const jobs: JobStatus[] = [];
  for (const job of lc.jobs.values()) {
    const lease = leases.get(job.name);
    const [last] = await lastRuns(lc.ctx.db, job.name, 1);
    const unfinished = await lc.ctx.db.selectFrom('job_runs').select('id').where('job', '=', job.name).where('outcome', '=', 'running').executeTakeFirst();
    const settings = (lc.config.jobs as Record<string, { enabled: boolean } | undefined>)[job.name];
    jobs.push({
      name: job.name,
      description: job.description,
      enabled: settings?.enabled ?? true,
      intervalSeconds: intervalMs(lc, job.name) / 1000,
      lease: lease ? { holder: lease.holder, acquiredAt: lease.acquired_at, expiresAt: lease.expires_at, nextRunAt: lease.next_run_at } : null,
      // A run left 'running' by a crashed holder is not running once its lease has expired.
      running: unfinished !== undefined && lease !== undefined && lease.expires_at > now.toISOString(),
      lastRun: last ? runView(last) : null,
    });
  }
  return { instance: lc.instanceId, now: now.toISOString(), jobs };
}

export interface AlertFilter {
  /** "active" is open or acknowledged. */
  state?: AlertState | 'active';
  kind?: string;
  severity?: AlertSeverity;
  subject?: string;
}

export function alertView(row: AlertsTable) {
  const { resolvedAt, ...rest } = alertPayload(row);
  return { ...rest, occurrences: Number(row.occurrences), acknowledgedAt: row.acknowledged_at, acknowledgedBy: row.acknowledged_by, resolvedAt };
}
export type AlertView = ReturnType<typeof alertView>;

export function deliveryView(row: WebhookDeliveriesTable) {
  return { id: row.id, webhook: row.webhook, event: row.event, state: row.state, attempts: Number(row.attempts), nextAttemptAt: row.next_attempt_at, lastAttemptAt: row.last_attempt_at, lastStatus: row.last_status === null ? null : Number(row.last_status), lastError: row.last_error, deliveredAt: row.delivered_at };
}

/** Newest first; `before` is the id of the last alert of the previous page (ids sort by time). */
export async function listAlerts(lc: Lifecycle, filter: AlertFilter, page: { limit: number; before?: string }): Promise<{ items: AlertView[]; nextCursor: string | null }> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 1000) throw new BadRequest('limit must be 1 to 1000');
  let query = lc.ctx.db.selectFrom('alerts').selectAll();
  if (filter.state === 'active') query = query.where('active_key', 'is not', null);
  else if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.subject) query = query.where('subject', '=', filter.subject);
  if (page.before) query = query.where('id', '<', page.before);
  const rows = await query.orderBy('id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit).map(alertView);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].id : null };
}

export async function getAlert(lc: Lifecycle, id: string): Promise<AlertView & { deliveries: ReturnType<typeof deliveryView>[] }> {
  const row = await lc.ctx.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`no alert with id ${id}`);
  const deliveries = await lc.ctx.db.selectFrom('webhook_deliveries').selectAll().where('alert_id', '=', id).orderBy('id').execute();
  return { ...alertView(row), deliveries: deliveries.map(deliveryView) };
}

/**
 * Acknowledges an alert: a condition alert stays active (resolved when the condition
 * clears), an event alert (an action taken by policy) is resolved by it.
 */
export async function acknowledgeAlert(lc: Lifecycle, id: string, actor: string, note?: string): Promise<AlertView> {
  return audited(lc.ctx, actor, 'alert.ack', `alert:${id}`, async () => {
    const at = lc.clock().toISOString();
    const row = await lc.ctx.ledger.submit(async (trx, audit) => {
      const alert = await trx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!alert) throw new NotFound(`no alert with id ${id}`);
      if (alert.state === 'resolved') throw new Conflict(`alert ${id} is already resolved (${alert.resolved_at})`);
      if (alert.state === 'acknowledged') throw new Conflict(`alert ${id} was already acknowledged by ${alert.acknowledged_by} at ${alert.acknowledged_at}`);
      const event = (ALERT_KINDS as Record<string, { clears: string }>)[alert.kind as AlertKindName]?.clears === 'event';
      const change = event ? { state: 'resolved' as const, resolved_at: at, active_key: null } : { state: 'acknowledged' as const };
      audit[0].details = { kind: alert.kind, subject: alert.subject, ...(note ? { note } : {}), resolved: event };
      await trx.updateTable('alerts').set({ ...change, acknowledged_at: at, acknowledged_by: actor }).where('id', '=', id).where('state', '=', 'open').execute();
      return { ...alert, ...change, acknowledged_at: at, acknowledged_by: actor };
    }, [{ actor, action: 'alert.ack', target: `alert:${id}`, outcome: 'success', details: {} }]);
    return alertView(row);
  });
}
