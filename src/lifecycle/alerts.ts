// Raising and resolving alerts. One active alert per kind and subject (the unique active_key):
// finding it again only moves last_seen and counts the occurrence, so a webhook announces
// each alert once. A condition alert that a complete pass did not see again is resolved.

import type { Kysely } from 'kysely';
import { newId } from '../ids.ts';
import { isUniqueViolation } from '../store/open.ts';
import type { AlertsTable, Database } from '../store/schema.ts';
import { ALERT_KINDS, type AlertKindName } from './alert-kinds.ts';
import type { Lifecycle } from './service.ts';
import { enqueue } from './webhooks/outbox.ts';

export interface Finding {
  kind: AlertKindName;
  /** certificate:<id>, device:<id>, job:<name>, ca:<name>. */
  subject: string;
  summary: string;
  details?: Record<string, unknown>;
}

export interface Raised {
  opened: AlertsTable[];
  /** Findings that matched an alert already active. */
  repeated: number;
  /** Webhook deliveries queued for the opened alerts. */
  deliveries: string[];
}

const BATCH = 200;
const keyOf = (kind: string, subject: string) => `${kind} ${subject}`;

function newAlert(finding: Finding, now: string, runId: string | null): AlertsTable {
  return {
    id: newId(Date.parse(now)),
    kind: finding.kind,
    subject: finding.subject,
    severity: ALERT_KINDS[finding.kind].severity,
    state: 'open',
    summary: finding.summary,
    details: JSON.stringify(finding.details ?? {}),
    first_seen: now,
    last_seen: now,
    occurrences: 1,
    seen_by_run: runId,
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    active_key: keyOf(finding.kind, finding.subject),
  };
}

async function raiseBatch(trx: Kysely<Database>, lc: Lifecycle, findings: Finding[], now: Date, runId: string | null, out: Raised): Promise<void> {
  const at = now.toISOString();
  const keys = [...new Set(findings.map((f) => keyOf(f.kind, f.subject)))];
  const active = new Set((await trx.selectFrom('alerts').select('active_key').where('active_key', 'in', keys).execute()).map((r) => r.active_key));
  if (active.size > 0) {
    await trx
      .updateTable('alerts')
      .set((eb) => ({ last_seen: at, seen_by_run: runId, occurrences: eb('occurrences', '+', 1) }))
      .where('active_key', 'in', [...active] as string[])
      .execute();
  }
  for (const finding of findings) {
    const key = keyOf(finding.kind, finding.subject);
    if (active.has(key)) {
      out.repeated++;
      continue;
    }
    active.add(key);
    const alert = newAlert(finding, at, runId);
    await trx.insertInto('alerts').values(alert).execute();
    out.opened.push(alert);
    out.deliveries.push(...(await enqueue(trx, lc, alert, 'alert.opened', now)));
  }
}

function logOpened(lc: Lifecycle, alert: AlertsTable): void {
  const fields = { alert: { id: alert.id, kind: alert.kind, subject: alert.subject, severity: alert.severity, details: JSON.parse(alert.details) } };
  const message = `alert ${alert.kind} ${alert.subject}: ${alert.summary}`;
  if (alert.severity === 'info') lc.ctx.log.info(fields, message);
  else lc.ctx.log.warn(fields, message);
}

/** Records findings as alerts (new ones opened with their webhook deliveries queued). */
export async function raise(lc: Lifecycle, findings: Finding[], now: Date, runId: string | null): Promise<Raised> {
  const out: Raised = { opened: [], repeated: 0, deliveries: [] };
  for (let i = 0; i < findings.length; i += BATCH) {
    const batch = findings.slice(i, i + BATCH);
    const part: Raised = { opened: [], repeated: 0, deliveries: [] };
    try {
      await lc.ctx.db.transaction().execute((trx) => raiseBatch(trx, lc, batch, now, runId, part));
    } catch (error) {
      // Another writer opened one of these between our read and insert: read again once.
      if (!isUniqueViolation(error)) throw error;
      Object.assign(part, { opened: [], repeated: 0, deliveries: [] });
      await lc.ctx.db.transaction().execute((trx) => raiseBatch(trx, lc, batch, now, runId, part));
    }
    out.opened.push(...part.opened);
    out.repeated += part.repeated;
    out.deliveries.push(...part.deliveries);
  }
  for (const alert of out.opened) logOpened(lc, alert);
  return out;
}

async function resolveRows(lc: Lifecycle, rows: AlertsTable[], now: Date): Promise<string[]> {
  const at = now.toISOString();
  const deliveries: string[] = [];
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await lc.ctx.db.transaction().execute(async (trx) => {
      // Only rows still active: an operator's acknowledgement of an event alert may have resolved one meanwhile.
      await trx.updateTable('alerts').set({ state: 'resolved', resolved_at: at, active_key: null }).where('id', 'in', batch.map((r) => r.id)).where('active_key', 'is not', null).execute();
      for (const row of batch) deliveries.push(...(await enqueue(trx, lc, { ...row, state: 'resolved', resolved_at: at, active_key: null }, 'alert.resolved', now)));
    });
  }
  for (const row of rows) lc.ctx.log.info({ alert: { id: row.id, kind: row.kind, subject: row.subject } }, `alert ${row.kind} ${row.subject} resolved`);
  return deliveries;
}

/** After a complete pass: the active condition alerts of these kinds that the pass (runId) did not see again. */
export async function resolveUnseen(lc: Lifecycle, kinds: AlertKindName[], runId: string, now: Date): Promise<{ resolved: number; deliveries: string[] }> {
  const conditions = kinds.filter((kind) => ALERT_KINDS[kind].clears === 'condition');
  if (conditions.length === 0) return { resolved: 0, deliveries: [] };
  const rows = await lc.ctx.db
    .selectFrom('alerts')
    .selectAll()
    .where('kind', 'in', conditions)
    .where('active_key', 'is not', null)
    .where((eb) => eb.or([eb('seen_by_run', 'is', null), eb('seen_by_run', '!=', runId)]))
    .execute();
  return { resolved: rows.length, deliveries: await resolveRows(lc, rows, now) };
}

/** Resolves the active alert of one kind and subject, if there is one. */
export async function resolveSubject(lc: Lifecycle, kind: AlertKindName, subject: string, now: Date): Promise<string[]> {
  const rows = await lc.ctx.db.selectFrom('alerts').selectAll().where('active_key', '=', keyOf(kind, subject)).execute();
  return rows.length === 0 ? [] : resolveRows(lc, rows, now);
}
