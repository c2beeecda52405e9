// The remaining jobs and decisions: renewal phases and orphan policy as tables, the three
// drift rules, a certificate whose device vanished from the inventory, a CA whose CRL goes
// stale (the offline root), and a failing job raising job.failed until it succeeds again.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { revokeCertificate } from '../../src/app/certificates.ts';
import type { LifecycleConfig } from '../../src/config/lifecycle.ts';
import type { OrphanRow } from '../../src/lifecycle/certificate-queries.ts';
import { listAlerts, runJobNow } from '../../src/lifecycle/operations.ts';
import { orphanCause, orphanDecision } from '../../src/lifecycle/orphan-policy.ts';
import { renewalPhase } from '../../src/lifecycle/renewal-phase.ts';
import { LifecycleScheduler } from '../../src/lifecycle/scheduler.ts';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle/service.ts';
import { getCertificate } from '../../src/store/repos/certificates.ts';
import { device, issue, openLifecycleFleet, testClock } from './helpers.ts';

describe('renewal phases', () => {
  const cert = { not_before: '2030-01-01T00:00:00.000Z', renew_after: '2030-01-01T00:01:00.000Z', not_after: '2030-01-01T00:01:40.000Z' };
  const cases: Array<[string, string]> = [
    ['2030-01-01T00:00:59.999Z', 'not-due'],
    ['2030-01-01T00:01:00.000Z', 'due'],
    ['2030-01-01T00:01:29.999Z', 'due'],
    ['2030-01-01T00:01:30.000Z', 'failing'],
    ['2030-01-01T00:01:39.999Z', 'failing'],
    ['2030-01-01T00:01:40.000Z', 'expired'],
  ];
  for (const [now, phase] of cases) test(`${now} is ${phase}`, () => assert.equal(renewalPhase(cert, new Date(now), 0.1), phase));
  test('a profile renewing later than the failure point has no "due" stretch', () => {
    const late = { ...cert, renew_after: '2030-01-01T00:01:35.000Z' };
    assert.equal(renewalPhase(late, new Date('2030-01-01T00:01:32.000Z'), 0.1), 'not-due');
    assert.equal(renewalPhase(late, new Date('2030-01-01T00:01:35.000Z'), 0.1), 'failing');
  });
});

describe('orphan policy', () => {
  const policy: LifecycleConfig['policies']['orphans'] = {
    suspendedForSeconds: 3600,
    decommissioned: { action: 'revoke', reason: 'cessationOfOperation' },
    missing: { action: 'alert', reason: 'privilegeWithdrawn' },
    suspended: { action: 'alert', reason: 'privilegeWithdrawn' },
  };
  const row = (device_status: string | null, status: OrphanRow['status'] = 'valid'): OrphanRow => ({ id: 'c', serial_hex: '01', subject: 'CN=x', status, device_id: 'd', not_after: '2031-01-01T00:00:00.000Z', device_status, device_updated_at: '2030-01-01T00:00:00.000Z' });
  const now = new Date('2030-01-01T02:00:00.000Z');

  test('causes', () => {
    assert.equal(orphanCause(row(null), null, now, policy), 'missing');
    assert.equal(orphanCause(row('decommissioned', 'on_hold'), null, now, policy), 'decommissioned');
    assert.equal(orphanCause(row('suspended'), '2030-01-01T01:00:00.000Z', now, policy), 'suspended');
    assert.equal(orphanCause(row('suspended'), '2030-01-01T01:00:00.001Z', now, policy), null, 'not yet an hour');
    assert.equal(orphanCause(row('suspended', 'on_hold'), '2029-01-01T00:00:00.000Z', now, policy), null, 'held on purpose');
    assert.equal(orphanCause(row('suspended'), null, now, policy), 'suspended', 'no suspension event: the record changed two hours ago');
    assert.equal(orphanCause(row('active'), null, now, policy), null);
  });

  test('a device retired as lost keeps keyCompromise; otherwise the configured reason', () => {
    assert.deepEqual(orphanDecision('decommissioned', policy, 'keyCompromise'), { cause: 'decommissioned', action: 'revoke', reason: 'keyCompromise' });
    assert.deepEqual(orphanDecision('decommissioned', policy, 'cessationOfOperation'), { cause: 'decommissioned', action: 'revoke', reason: 'cessationOfOperation' });
    assert.deepEqual(orphanDecision('missing', policy, null), { cause: 'missing', action: 'alert', reason: 'privilegeWithdrawn' });
  });
});

describe('drift, missing devices, stale CRLs and failing jobs', () => {
  const clock = testClock();
  let fleet: Awaited<ReturnType<typeof openLifecycleFleet>>;
  let lc: Lifecycle;
  let failing = true;
  const run = async (job: string) => runJobNow(lc, job, 'test');
  const active = async (kind: string) => (await listAlerts(lc, { kind, state: 'active' }, { limit: 100 })).items;

  before(async () => {
    fleet = await openLifecycleFleet({});
    const flaky = { name: 'flaky', description: 'fails until told not to', run: async () => (failing ? Promise.reject(new Error('disk full')) : { ok: 1 }) };
    lc = createLifecycle(fleet.ctx, { clock: clock.clock, instanceId: 'jobs', jobs: [flaky] });
  });
  after(() => fleet?.close());

  test('the three drift rules, each cleared by its fix', async () => {
    const registered = await device(fleet, 'registered');
    await issue(fleet, registered, 'sensor');
    await fleet.ctx.db.updateTable('devices').set({ status: 'registered' }).where('id', '=', registered).execute();
    const heldDevice = await device(fleet, 'held');
    const held = await issue(fleet, heldDevice, 'sensor');
    await revokeCertificate(fleet.ctx, held.id, 'certificateHold', 'test');
    const bare = await device(fleet, 'bare');
    const lost = await issue(fleet, bare, 'sensor');
    await revokeCertificate(fleet.ctx, lost.id, 'keyCompromise', 'test');

    assert.deepEqual((await run('drift')).counts, { found: 3, opened: 3, resolved: 0 });
    assert.deepEqual((await active('drift.registered-with-certificate')).map((a) => a.subject), [`device:${registered}`]);
    assert.deepEqual((await active('drift.held-on-active-device')).map((a) => a.subject), [`certificate:${held.id}`]);
    assert.deepEqual((await active('drift.active-without-certificate')).map((a) => a.subject), [`device:${bare}`]);

    await fleet.ctx.db.updateTable('devices').set({ status: 'active' }).where('id', '=', registered).execute();
    await revokeCertificate(fleet.ctx, held.id, 'cessationOfOperation', 'test');
    clock.advance(1000);
    const after = (await run('drift')).counts;
    assert.deepEqual(after, { found: 2, opened: 1, resolved: 2 }, 'revoking the held one leaves its device without a certificate');
    assert.deepEqual((await active('drift.active-without-certificate')).map((a) => a.subject).sort(), [`device:${bare}`, `device:${heldDevice}`].sort());
  });

  test('a certificate whose device is gone from the inventory is an orphan; by default only an alert', async () => {
    const gone = await device(fleet, 'gone');
    const cert = await issue(fleet, gone, 'sensor');
    // Only possible behind fleetpki's back (a restored backup, a hand edit): the foreign key has to be switched off.
    await sql`PRAGMA foreign_keys = OFF`.execute(fleet.ctx.db);
    await fleet.ctx.db.deleteFrom('devices').where('id', '=', gone).execute();
    await sql`PRAGMA foreign_keys = ON`.execute(fleet.ctx.db);
    assert.deepEqual((await run('orphans')).counts, { found: 1, revoked: 0, opened: 1, resolved: 0 });
    const [alert] = await active('certificate.orphan');
    assert.equal(alert.subject, `certificate:${cert.id}`);
    assert.match(alert.summary, /names a device that is not in the inventory/);
    assert.equal((await getCertificate(fleet.ctx.db, cert.id))!.status, 'valid');
  });

  test("a CA whose CRL nobody can re-sign (an offline root) raises crl.stale once its nextUpdate passes", async () => {
    clock.set(Date.now());
    assert.deepEqual((await run('crl-refresh')).counts, { signed: 1, published: 0, stale: 0, respondersDue: 0, opened: 0, resolved: 0 });
    await fleet.ctx.db.updateTable('cas').set({ encrypted_key: null }).where('name', '=', 'fleet-root').execute();
    clock.advance(25 * 3_600_000);
    const counts = (await run('crl-refresh')).counts;
    assert.deepEqual([counts.signed, counts.stale, counts.opened], [1, 1, 1], 'the issuing CAs are re-signed, the root cannot be');
    const [stale] = await active('crl.stale');
    assert.deepEqual([stale.subject, stale.severity], ['ca:fleet-root', 'critical']);
    assert.match(stale.summary, /the CRL of CA fleet-root expired at .*offline CA/);
  });

  test('a failing job is recorded with its error and raises job.failed until a run succeeds', async () => {
    const failed = await run('flaky');
    assert.deepEqual([failed.outcome, failed.error], ['error', 'disk full']);
    const [alert] = await active('job.failed');
    assert.deepEqual([alert.subject, alert.summary], ['job:flaky', 'lifecycle job flaky failed: disk full']);
    const row = await fleet.ctx.db.selectFrom('job_runs').selectAll().where('id', '=', failed.runId).executeTakeFirstOrThrow();
    assert.deepEqual([row.outcome, row.error], ['error', 'disk full']);
    failing = false;
    clock.advance(1000);
    assert.equal((await run('flaky')).outcome, 'success');
    assert.equal((await active('job.failed')).length, 0);
  });

  test('the scheduler refuses to start with a webhook secret it cannot read', () => {
    const webhook = { name: 'ops', url: 'http://127.0.0.1:9/', kinds: [], minSeverity: 'info' as const, sendResolved: false };
    const missing = { ...lc, config: { ...lc.config, webhooks: [{ ...webhook, secretFile: '/nonexistent/secret' }] } };
    assert.throws(() => new LifecycleScheduler(missing).start(), /cannot read the secret of webhook ops from \/nonexistent\/secret/);
    const unset = { ...lc, env: {}, config: { ...lc.config, webhooks: [{ ...webhook, secretEnv: 'OPS_SECRET' }] } };
    assert.throws(() => new LifecycleScheduler(unset).start(), /should be in \$OPS_SECRET, which is not set/);
    const short = { ...lc, env: { OPS_SECRET: 'short' }, config: { ...lc.config, webhooks: [{ ...webhook, secretEnv: 'OPS_SECRET' }] } };
    assert.throws(() => new LifecycleScheduler(short).start(), /shorter than 16 characters/);
  });

  test('stopping the scheduler aborts a running job between items, records it, and leaves no timer', async () => {
    const slow = {
      name: 'slow',
      description: 'waits until aborted',
      run: ({ signal }: { signal: AbortSignal }) => new Promise<Record<string, number>>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    };
    const scheduled = createLifecycle(fleet.ctx, { clock: clock.clock, instanceId: 'stopper', jobs: [slow] });
    clock.advance(7_200_000);
    const scheduler = new LifecycleScheduler(scheduled);
    scheduler.start();
    let running;
    for (let i = 0; i < 200 && !running; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      running = await fleet.ctx.db.selectFrom('job_runs').selectAll().where('job', '=', 'slow').where('outcome', '=', 'running').executeTakeFirst();
    }
    assert.ok(running, 'the first tick reached the slow job');
    await scheduler.stop();
    const row = await fleet.ctx.db.selectFrom('job_runs').selectAll().where('id', '=', running.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.outcome, row.error], ['error', 'aborted: the scheduler is stopping']);
    assert.equal((await active('job.failed')).length, 0, 'being stopped is not a failure of the job');
    const lease = await fleet.ctx.db.selectFrom('job_leases').selectAll().where('job', '=', 'slow').executeTakeFirstOrThrow();
    assert.equal(lease.expires_at, clock.now().toISOString(), 'the lease is released for the other instances');
  });
});
