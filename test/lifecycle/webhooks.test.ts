// Webhook delivery as a receiver sees it: a failing receiver gets the same signed body again
// after 30 s, then 60 s more, and the third attempt succeeds; one that never recovers is given
// up after maxAttempts; a replayed or altered request fails the receiver's check; webhooks
// filtered by severity get only what they asked for.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { getAlert, runJobNow } from '../../src/lifecycle/operations.ts';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle/service.ts';
import { verifySignature } from '../../src/lifecycle/webhooks/signature.ts';
import { device, issue, openLifecycleFleet, receiverVerifies, startReceiver, testClock, WEBHOOK_SECRET, type Receiver } from './helpers.ts';

const clock = testClock();
let flaky: Receiver;
let dead: Receiver;
let critical: Receiver;
let fleet: Awaited<ReturnType<typeof openLifecycleFleet>>;
let lc: Lifecycle;

const run = async (job: string) => (await runJobNow(lc, job, 'test')).counts;
const deliveriesTo = (webhook: string) => fleet.ctx.db.selectFrom('webhook_deliveries').selectAll().where('webhook', '=', webhook).execute();

before(async () => {
  flaky = await startReceiver(clock.now, (n) => (n <= 2 ? 500 : 204));
  dead = await startReceiver(clock.now, () => 503);
  critical = await startReceiver(clock.now);
  fleet = await openLifecycleFleet({
    webhooks: [
      { name: 'flaky', url: flaky.url, secretFile: 'SECRET_FILE' },
      { name: 'dead', url: dead.url, secretFile: 'SECRET_FILE' },
      { name: 'pager', url: critical.url, secretFile: 'SECRET_FILE', minSeverity: 'critical' },
    ],
    delivery: { maxAttempts: 3, backoffBaseSeconds: 30, backoffMaxSeconds: 600, timeoutMs: 2000 },
  });
  lc = createLifecycle(fleet.ctx, { clock: clock.clock, instanceId: 'sender' });
  // A held certificate on an active device: one drift alert (severity warning) to announce.
  const id = await device(fleet, 'held');
  const cert = await issue(fleet, id, 'sensor');
  await revokeCertificate(fleet.ctx, cert.id, 'certificateHold', 'test');
});

after(async () => {
  await fleet?.close();
  await Promise.all([flaky?.close(), dead?.close(), critical?.close()]);
});

describe('webhook delivery', () => {
  const t0 = clock.now().getTime();

  test('the first attempt is made by the run that opened the alert', async () => {
    assert.equal((await run('drift')).opened, 1);
    assert.equal(flaky.received.length, 1);
    assert.equal(flaky.received[0].status, 500);
    const [row] = await deliveriesTo('flaky');
    assert.deepEqual([row.state, Number(row.attempts), Number(row.last_status), row.next_attempt_at], ['pending', 1, 500, new Date(t0 + 30_000).toISOString()]);
  });

  test('retries wait 30 s, then 60 s more, and the third attempt succeeds', async () => {
    clock.set(t0 + 29_000);
    await run('webhook-delivery');
    assert.equal(flaky.received.length, 1, 'not before the backoff has passed');
    clock.set(t0 + 30_000);
    await run('webhook-delivery');
    assert.equal(flaky.received.length, 2);
    clock.set(t0 + 89_000);
    await run('webhook-delivery');
    assert.equal(flaky.received.length, 2);
    clock.set(t0 + 90_000);
    await run('webhook-delivery');
    assert.deepEqual(flaky.received.map((r) => r.status), [500, 500, 204]);
    assert.deepEqual(flaky.received.map((r) => Number(r.headers['x-fleetpki-timestamp'])), [t0, t0 + 30_000, t0 + 90_000].map((t) => Math.floor(t / 1000)));
    assert.ok(flaky.received.every((r) => r.verified && r.body === flaky.received[0].body), 'the same body each time, signed afresh');
    assert.equal(new Set(flaky.received.map((r) => r.headers['x-fleetpki-delivery'])).size, 1, 'one delivery id for receivers to deduplicate on');
    const [row] = await deliveriesTo('flaky');
    assert.deepEqual([row.state, Number(row.attempts), row.delivered_at], ['delivered', 3, new Date(t0 + 90_000).toISOString()]);
    clock.set(t0 + 3_600_000);
    await run('webhook-delivery');
    assert.equal(flaky.received.length, 3, 'a delivered alert is not sent again');
  });

  test('a receiver that never recovers is given up after maxAttempts, and the alert shows it', async () => {
    const [row] = await deliveriesTo('dead');
    assert.deepEqual([row.state, Number(row.attempts), row.last_error], ['failed', 3, 'the receiver answered 503']);
    assert.equal(dead.received.length, 3);
    const alert = await getAlert(lc, row.alert_id);
    assert.deepEqual(alert.deliveries.map((d) => [d.webhook, d.state, d.attempts]).sort(), [['dead', 'failed', 3], ['flaky', 'delivered', 3]]);
  });

  test('a webhook asking for critical alerts only did not get this warning', () => {
    assert.equal(critical.received.length, 0);
  });

  test('a replayed request, an altered body or another secret fails the check', async () => {
    const original = flaky.received[2];
    const sentAt = Number(original.headers['x-fleetpki-timestamp']);
    assert.ok(receiverVerifies(WEBHOOK_SECRET, original.headers, original.body, sentAt + 10));
    assert.ok(!receiverVerifies(WEBHOOK_SECRET, original.headers, original.body, sentAt + 600), 'ten minutes later it is a replay');
    assert.ok(!receiverVerifies(WEBHOOK_SECRET, original.headers, original.body.replace('warning', 'info'), sentAt));
    assert.ok(!receiverVerifies('another-secret-0123456789', original.headers, original.body, sentAt));
    const forged = { ...original.headers, 'x-fleetpki-timestamp': String(sentAt + 600) };
    assert.ok(!receiverVerifies(WEBHOOK_SECRET, forged, original.body, sentAt + 600), 'the timestamp is inside the MAC');
    // fleetpki's own helper for TypeScript receivers agrees.
    const signature = String(original.headers['x-fleetpki-signature']);
    assert.ok(verifySignature(WEBHOOK_SECRET, signature, String(sentAt), original.body, sentAt));
    assert.ok(!verifySignature(WEBHOOK_SECRET, signature, String(sentAt), original.body, sentAt + 301));
  });
});
