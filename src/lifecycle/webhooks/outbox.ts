// The webhook outbox. A delivery row is written in the transaction that opens (or resolves)
// its alert, so no alert is announced that was not recorded and none recorded is forgotten.
// Sending claims the row with one conditional UPDATE (its attempt count and due time as
// read), so two instances never send the same attempt; the claim pushes the due time past
// the HTTP timeout, so a sender that dies mid-attempt leaves the row to be retried.

import type { Kysely } from 'kysely';
import type { WebhookConfig } from '../../config/lifecycle.ts';
import { newId } from '../../ids.ts';
import type { AlertsTable, Database, WebhookDeliveriesTable } from '../../store/schema.ts';
import { atLeast } from '../alert-kinds.ts';
import type { Lifecycle } from '../service.ts';
import { backoffMs } from './backoff.ts';
import { deliveryBody, type AlertEvent } from './payload.ts';
import { webhookSecret } from './secrets.ts';
import { sendWebhook } from './send.ts';

const BATCH = 100;
const CONCURRENCY = 4;

function wants(webhook: WebhookConfig, alert: AlertsTable, event: AlertEvent): boolean {
  if (event === 'alert.resolved' && !webhook.sendResolved) return false;
  if (!atLeast(alert.severity, webhook.minSeverity)) return false;
  return webhook.kinds.length === 0 || webhook.kinds.some((prefix) => alert.kind.startsWith(prefix));
}

/** Queues the event for every webhook that wants it; returns the delivery ids. Runs in the caller's transaction. */
export async function enqueue(trx: Kysely<Database>, lc: Lifecycle, alert: AlertsTable, event: AlertEvent, now: Date): Promise<string[]> {
  const rows: WebhookDeliveriesTable[] = lc.config.webhooks
    .filter((webhook) => wants(webhook, alert, event))
    .map((webhook) => {
      const id = newId(now.getTime());
      return {
        id,
        webhook: webhook.name,
        alert_id: alert.id,
        event,
        payload: deliveryBody(id, event, alert, lc.instanceId),
        state: 'pending',
        attempts: 0,
        next_attempt_at: now.toISOString(),
        last_attempt_at: null,
        last_status: null,
        last_error: null,
        created_at: now.toISOString(),
        delivered_at: null,
      };
    });
  if (rows.length > 0) await trx.insertInto('webhook_deliveries').values(rows).execute();
  return rows.map((row) => row.id);
}

async function claim(lc: Lifecycle, row: WebhookDeliveriesTable, now: Date): Promise<boolean> {
  const hold = new Date(now.getTime() + 2 * lc.config.delivery.timeoutMs + 5_000).toISOString();
  const result = await lc.ctx.db
    .updateTable('webhook_deliveries')
    .set({ attempts: Number(row.attempts) + 1, next_attempt_at: hold, last_attempt_at: now.toISOString() })
    .where('id', '=', row.id)
    .where('state', '=', 'pending')
    .where('attempts', '=', row.attempts)
    .where('next_attempt_at', '<=', now.toISOString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

async function attempt(lc: Lifecycle, row: WebhookDeliveriesTable): Promise<DeliveryOutcome> {
  const now = lc.clock();
  if (!(await claim(lc, row, now))) return 'skipped';
  const attempts = Number(row.attempts) + 1;
  const webhook = lc.config.webhooks.find((w) => w.name === row.webhook);
  let result;
  try {
    if (!webhook) throw new Error(`webhook ${row.webhook} is no longer configured`);
    const secret = webhookSecret(webhook, lc.env);
    result = await sendWebhook({ url: webhook.url, secret, deliveryId: row.id, event: row.event, body: row.payload, now, timeoutMs: lc.config.delivery.timeoutMs });
  } catch (error) {
    result = { ok: false, status: null, error: (error as Error).message };
  }
  return record(lc, row, attempts, result);
}

async function record(lc: Lifecycle, row: WebhookDeliveriesTable, attempts: number, result: { ok: boolean; status: number | null; error: string | null }): Promise<DeliveryOutcome> {
  const now = lc.clock();
  const { maxAttempts, backoffBaseSeconds, backoffMaxSeconds } = lc.config.delivery;
  const outcome: DeliveryOutcome = result.ok ? 'delivered' : attempts >= maxAttempts ? 'failed' : 'retry';
  const next = outcome === 'retry' ? new Date(now.getTime() + backoffMs(attempts, { baseSeconds: backoffBaseSeconds, maxSeconds: backoffMaxSeconds })) : now;
  await lc.ctx.db
    .updateTable('webhook_deliveries')
    .set({
      state: outcome === 'retry' ? 'pending' : outcome,
      next_attempt_at: next.toISOString(),
      last_status: result.status,
      last_error: result.error,
      delivered_at: result.ok ? now.toISOString() : null,
    })
    .where('id', '=', row.id)
    .execute();
  const log = { delivery: row.id, webhook: row.webhook, alert: row.alert_id, attempts, status: result.status };
  if (outcome === 'failed') lc.ctx.log.error({ ...log, error: result.error }, `webhook ${row.webhook}: giving up on delivery ${row.id} after ${attempts} attempts`);
  else if (outcome === 'retry') lc.ctx.log.warn({ ...log, error: result.error, nextAttemptAt: next.toISOString() }, `webhook ${row.webhook}: attempt ${attempts} failed; retrying`);
  return outcome;
}

/** Sends what is due (or only `ids`), a few at a time; returns how each ended. */
export async function deliverDue(lc: Lifecycle, signal?: AbortSignal, ids?: string[]): Promise<Record<DeliveryOutcome, number>> {
  const counts: Record<DeliveryOutcome, number> = { delivered: 0, retry: 0, failed: 0, skipped: 0 };
  if (ids?.length === 0) return counts;
  let query = lc.ctx.db.selectFrom('webhook_deliveries').selectAll().where('state', '=', 'pending').where('next_attempt_at', '<=', lc.clock().toISOString());
  if (ids) query = query.where('id', 'in', ids);
  const due = await query.orderBy('next_attempt_at').orderBy('id').limit(BATCH).execute();
  let next = 0;
  const worker = async () => {
    while (next < due.length && !signal?.aborted) counts[await attempt(lc, due[next++])]++;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return counts;
}
