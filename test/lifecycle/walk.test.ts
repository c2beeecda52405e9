// A fleet walked through time with an injected clock: certificates living 100 s become due
// for renewal, one is renewed, the others' renewals fail and they expire; a long-suspended
// device's certificate and a decommissioned device's live certificate are revoked by policy.
// Every alert reaches a webhook receiver exactly once with a signature the receiver checks;
// finding the same thing again sends nothing; acknowledging works; the CRL lists the
// revocations; the audit chain holds.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/app/audit.ts';
import { suspendDevice } from '../../src/app/devices.ts';
import type { RevocationEvent } from '../../src/app/context.ts';
import { failAt } from '../../src/lifecycle/renewal-phase.ts';
import { acknowledgeAlert, getAlert, listAlerts, runJobNow } from '../../src/lifecycle/operations.ts';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle/service.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { getCertificate } from '../../src/store/repos/certificates.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { device, issue, openLifecycleFleet, shortProfile, startReceiver, testClock, type Receiver } from './helpers.ts';

const clock = testClock();
let receiver: Receiver;
let fleet: Awaited<ReturnType<typeof openLifecycleFleet>>;
let lc: Lifecycle;
let crls: CrlScheduler;
const revocations: RevocationEvent[] = [];
const certs: Record<'a' | 'b' | 'c', CertificatesTable> = {} as never;
const devices: Record<string, string> = {};

const run = async (job: string) => (await runJobNow(lc, job, 'test:walker')).counts;
const active = async (kind: string) => (await listAlerts(lc, { kind, state: 'active' }, { limit: 100 })).items;
const at = (iso: string, deltaMs = 0) => clock.set(Date.parse(iso) + deltaMs);

before(async () => {
  receiver = await startReceiver(clock.now);
  fleet = await openLifecycleFleet({
    webhooks: [{ name: 'ops', url: receiver.url, secretFile: 'SECRET_FILE' }],
    policies: { orphans: { suspendedForSeconds: 600, suspended: { action: 'revoke', reason: 'privilegeWithdrawn' } } },
  });
  lc = createLifecycle(fleet.ctx, { clock: clock.clock, instanceId: 'walker' });
  crls = new CrlScheduler(fleet.ctx).listen();
  fleet.ctx.events.on('revocation', (event) => revocations.push(event));
  await shortProfile(fleet, 'short', '100s', 0.5);
  await shortProfile(fleet, 'long', '1h', 0.5);
  for (const name of ['a', 'b', 'c'] as const) {
    devices[name] = await device(fleet, name);
    certs[name] = await issue(fleet, devices[name], 'short');
  }
});

after(async () => {
  await crls?.stop();
  await fleet?.close();
  await receiver?.close();
});

const latest = (field: 'renew_after' | 'not_after') => Object.values(certs).map((c) => c[field]).sort().at(-1)!;

describe('walking a fleet through time', () => {
  test('nothing is due before renew_after', async () => {
    at(certs.a.renew_after, -1000);
    assert.deepEqual(await run('renewal-due'), { found: 0, opened: 0, resolved: 0 });
    assert.equal(receiver.received.length, 0);
  });

  test('inside the renewal window every certificate without a successor raises one alert, sent once', async () => {
    at(latest('renew_after'), 1000);
    assert.deepEqual(await run('renewal-due'), { found: 3, opened: 3, resolved: 0 });
    assert.equal(receiver.received.length, 3);
    for (const request of receiver.received) {
      assert.ok(request.verified, 'the receiver checked the HMAC and the timestamp');
      assert.equal(request.json.event, 'alert.opened');
      assert.equal(request.json.alert.kind, 'certificate.renewal-due');
      assert.equal(request.headers['x-fleetpki-event'], 'alert.opened');
      assert.equal(request.headers['x-fleetpki-delivery'], request.json.deliveryId);
    }
    const subjects = receiver.received.map((r) => r.json.alert.subject).sort();
    assert.deepEqual(subjects, Object.values(certs).map((c) => `certificate:${c.id}`).sort());
  });

  test('finding them again sends nothing; a renewal resolves its alert', async () => {
    await issue(fleet, devices.a, 'long', certs.a.id);
    clock.advance(1000);
    assert.deepEqual(await run('renewal-due'), { found: 2, opened: 0, resolved: 1 });
    assert.equal(receiver.received.length, 3, 'no new webhook for alerts already open');
    const [b] = (await listAlerts(lc, { subject: `certificate:${certs.b.id}` }, { limit: 10 })).items;
    assert.equal(b.occurrences, 2);
    assert.equal(b.lastSeen, clock.now().toISOString());
    const [a] = (await listAlerts(lc, { subject: `certificate:${certs.a.id}` }, { limit: 10 })).items;
    assert.equal(a.state, 'resolved');
  });

  test('with less than a tenth of the lifetime left the renewal has failed', async () => {
    clock.set(Math.max(failAt(certs.b, 0.1), failAt(certs.c, 0.1)) + 1000);
    assert.deepEqual(await run('renewal-failed'), { found: 2, opened: 2, resolved: 0 });
    assert.deepEqual(await run('renewal-due'), { found: 0, opened: 0, resolved: 2 }, 'the due alerts give way to the failed ones');
    assert.equal(receiver.received.length, 5);
    assert.deepEqual(receiver.received.slice(3).map((r) => r.json.alert.severity), ['warning', 'warning']);
  });

  test('past notAfter the certificates without a successor are expired: a critical alert each', async () => {
    at(latest('not_after'), 1000);
    assert.deepEqual(await run('expiry'), { found: 2, opened: 2, resolved: 0 });
    assert.deepEqual(await run('renewal-failed'), { found: 0, opened: 0, resolved: 2 });
    const expired = await active('certificate.expired');
    assert.deepEqual(expired.map((e) => e.subject).sort(), [`certificate:${certs.b.id}`, `certificate:${certs.c.id}`].sort());
    assert.ok(expired.every((e) => e.severity === 'critical'));
    assert.equal((await getCertificate(fleet.ctx.db, certs.b.id))!.status, 'valid', 'expiry is derived from notAfter, not written');
  });

  test('an acknowledged condition alert stays active and is not sent again', async () => {
    const [first] = await active('certificate.expired');
    const acked = await acknowledgeAlert(lc, first.id, 'token:ops');
    assert.equal(acked.state, 'acknowledged');
    assert.equal(acked.acknowledgedBy, 'token:ops');
    clock.advance(60_000);
    assert.deepEqual(await run('expiry'), { found: 2, opened: 0, resolved: 0 });
    assert.equal((await getAlert(lc, first.id)).state, 'acknowledged');
    await assert.rejects(acknowledgeAlert(lc, first.id, 'token:ops'), /already acknowledged by token:ops/);
    assert.equal(receiver.received.length, 7);
  });

  test('orphans are revoked by policy as system:lifecycle, and the CRL lists them', async () => {
    const suspended = await device(fleet, 'suspended');
    const retired = await device(fleet, 'retired');
    const suspendedCert = await issue(fleet, suspended, 'long');
    const retiredCert = await issue(fleet, retired, 'long');
    await suspendDevice(fleet.ctx, suspended, 'test');
    // A record retired behind fleetpki's back (a bulk edit of the inventory): decommissioning
    // through fleetpki would have revoked the certificate itself.
    await fleet.ctx.db.updateTable('devices').set({ status: 'decommissioned' }).where('id', '=', retired).execute();

    clock.set(Math.max(clock.now().getTime(), Date.now()) + 60_000);
    assert.deepEqual(await run('orphans'), { found: 1, revoked: 1, opened: 1, resolved: 0 }, 'the suspension is not yet ten minutes old');
    clock.set(Date.now() + 601_000);
    assert.deepEqual(await run('orphans'), { found: 1, revoked: 1, opened: 1, resolved: 0 });

    const revokedRetired = (await getCertificate(fleet.ctx.db, retiredCert.id))!;
    const revokedSuspended = (await getCertificate(fleet.ctx.db, suspendedCert.id))!;
    assert.deepEqual([revokedRetired.status, revokedRetired.revocation_reason], ['revoked', 'cessationOfOperation']);
    assert.deepEqual([revokedSuspended.status, revokedSuspended.revocation_reason], ['revoked', 'privilegeWithdrawn']);
    assert.equal(revokedSuspended.revoked_at, clock.now().toISOString(), 'revoked at the lifecycle clock');

    const audit = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'certificate.revoke').where('actor', '=', 'system:lifecycle').execute();
    assert.deepEqual(audit.map((e) => e.target).sort(), [`certificate:${retiredCert.id}`, `certificate:${suspendedCert.id}`].sort());
    assert.match(JSON.parse(audit[0].details).policy, /^orphans\.(decommissioned|suspended)$/);
    assert.deepEqual(revocations.flatMap((e) => e.certificateIds).sort(), [retiredCert.id, suspendedCert.id].sort());

    const sent = receiver.received.slice(7).map((r) => r.json.alert);
    assert.deepEqual(sent.map((a) => a.kind), ['certificate.orphan-revoked', 'certificate.orphan-revoked']);
    assert.match(sent[1].summary, /suspended for longer than the policy allows: revoked \(privilegeWithdrawn\) by policy/);

    await crls.flush();
    const crl = await crlService(fleet.ctx).current('devices-production', 'full');
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: crl.der, encoding: 'utf8' });
    assert.match(text, new RegExp(`Serial Number: ${revokedSuspended.serial_hex.toUpperCase()}[\\s\\S]*?Privilege Withdrawn`));
    assert.match(text, new RegExp(`Serial Number: ${revokedRetired.serial_hex.toUpperCase()}[\\s\\S]*?Cessation Of Operation`));
  });

  test('acknowledging an action taken by policy resolves it; a second pass finds nothing', async () => {
    const revoked = await active('certificate.orphan-revoked');
    assert.equal(revoked.length, 2);
    for (const alert of revoked) assert.equal((await acknowledgeAlert(lc, alert.id, 'token:ops', 'expected: retired units')).state, 'resolved');
    clock.advance(1000);
    assert.deepEqual(await run('orphans'), { found: 0, revoked: 0, opened: 0, resolved: 0 });
    const acks = await fleet.ctx.db.selectFrom('audit_events').select('outcome').where('action', '=', 'alert.ack').where('actor', '=', 'token:ops').execute();
    assert.deepEqual(acks.map((a) => a.outcome).sort(), ['refused', 'success', 'success', 'success'], 'three acknowledgements and the refused second one');
  });

  test('every alert arrived exactly once, signed, and the audit chain is intact', async () => {
    const opened = await fleet.ctx.db.selectFrom('alerts').select('id').execute();
    const announced = receiver.received.map((r) => r.json.alert.id);
    assert.equal(new Set(announced).size, announced.length, 'no alert announced twice');
    assert.deepEqual([...announced].sort(), opened.map((a) => a.id).sort());
    assert.ok(receiver.received.every((r) => r.verified));
    const deliveries = await fleet.ctx.db.selectFrom('webhook_deliveries').selectAll().execute();
    assert.ok(deliveries.every((d) => d.state === 'delivered' && Number(d.attempts) === 1));
    assert.equal((await verifyAuditChain(fleet.ctx)).ok, true);
  });
});
