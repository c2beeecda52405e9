// Resolving findings over REST: adopt (into a new or an existing device), assign an owner,
// mark for replacement, dismiss with a reason. Each resolution is an audit event committed
// with it, each refusal one too, and the audit chain still verifies afterwards.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { fingerprint, leafFrom, selfSigned, testCa, type Made } from './fixtures.ts';
import { findingsAt } from './harness.ts';

type Json = Record<string, any>;

describe('resolving discovery findings', () => {
  let api: ApiHarness;
  const made: Record<string, Made> = {};
  const findingOf = async (certPem: string, kind: string): Promise<Json> => {
    const sha256 = fingerprint(certPem);
    const found = (await findingsAt(api)).find((f) => f.kind === kind && f.certificate.fingerprintSha256 === sha256);
    assert.ok(found, `a ${kind} finding for the certificate`);
    return found;
  };
  const resolve = (id: string, body: Json, token?: string) => api.call('POST', `/api/v1/discovery/findings/${id}/resolve`, { body, token });
  const importPem = async (pem: string, label: string) => {
    const response = await api.call('POST', '/api/v1/discovery/imports', { body: { pem, label } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  };

  before(async () => {
    api = await openApi();
    const dir = api.fleet.dir;
    made.a = selfSigned(dir, 'gateway-a');
    made.b = selfSigned(dir, 'gateway-b');
    made.weak = selfSigned(dir, 'old-camera', ['-newkey', 'rsa:1024']);
    made.stranger = leafFrom(dir, testCa(dir, '/CN=Unknown Test CA'), 'meter-9');
    const cas = (await api.call('GET', '/api/v1/cas')).json().items as Json[];
    const production = cas.find((c) => c.name === 'devices-production')!;
    made.forged = leafFrom(dir, testCa(dir, `/${production.subject.split(', ').join('/')}`), 'forged');
    await importPem(Object.values(made).map((m) => m.pem).join(''), 'site-1');
  });
  after(() => api.close());

  it('adopt into a new device: registers it, links the certificate, answers "not in inventory" too, all audited', async () => {
    const selfSignedFinding = await findingOf(made.a.pem, 'self-signed');
    const response = await resolve(selfSignedFinding.id, { action: 'adopt', device: { externalSerial: 'GW-A', deviceClass: 'gateway', environment: 'production' }, note: 'plant 1 gateway' });
    assert.equal(response.statusCode, 200, response.body);
    const resolved = response.json();
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.resolution, 'adopt');
    assert.equal(resolved.resolvedBy, 'token:initial-admin');
    const deviceId = resolved.certificate.adoptedDeviceId;
    assert.equal(resolved.resolutionDetails.deviceId, deviceId);
    const device = (await api.call('GET', `/api/v1/devices/${deviceId}`)).json();
    assert.equal(device.externalSerial, 'GW-A');
    const notInInventory = await findingOf(made.a.pem, 'not-in-inventory');
    assert.equal(notInInventory.status, 'resolved');
    assert.equal(notInInventory.resolutionDetails.via, selfSignedFinding.id);

    const events = await api.audit({ action: 'discovery.finding.resolve' });
    assert.deepEqual(events.map((e) => e.target).sort(), [`discovery-finding:${notInInventory.id}`, `discovery-finding:${selfSignedFinding.id}`].sort());
    assert.equal(events.find((e) => e.target === `discovery-finding:${selfSignedFinding.id}`)!.details.note, 'plant 1 gateway');
    const [created] = await api.audit({ action: 'device.create' });
    assert.equal(created.target, `device:${deviceId}`);
    assert.equal(created.details.via, 'discovery.adopt');

    // Seen again at the same place, the adopted certificate is in the inventory: nothing reopens.
    const again = await importPem(made.a.pem, 'site-1');
    assert.equal(again.findingsOpened, 0);
    assert.equal((await findingOf(made.a.pem, 'not-in-inventory')).status, 'resolved');
  });

  it('adopt into an existing device, and not twice', async () => {
    const deviceId = await api.device();
    const finding = await findingOf(made.b.pem, 'not-in-inventory');
    const response = await resolve(finding.id, { action: 'adopt', deviceId });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().certificate.adoptedDeviceId, deviceId);
    assert.equal((await findingOf(made.b.pem, 'self-signed')).status, 'open', 'adoption does not make it less self-signed');
    const twice = await resolve((await findingOf(made.b.pem, 'self-signed')).id, { action: 'adopt', deviceId });
    assert.equal(twice.statusCode, 409);
    assert.match(errorOf(twice).message, /already adopted by device/);
    const listed = (await api.call('GET', `/api/v1/discovery/certificates?adoptedDeviceId=${deviceId}`)).json().items;
    assert.deepEqual(listed.map((c: Json) => c.fingerprintSha256), [fingerprint(made.b.pem)]);
  });

  it('assign-owner, replace and dismiss record on the certificate and the finding', async () => {
    const owner = await resolve((await findingOf(made.stranger.pem, 'unknown-ca')).id, { action: 'assign-owner', owner: 'metering-team' });
    assert.equal(owner.statusCode, 200, owner.body);
    assert.equal(owner.json().certificate.owner, 'metering-team');
    const replace = await resolve((await findingOf(made.weak.pem, 'weak-key')).id, { action: 'replace', note: 'CHG-1234' });
    assert.equal(replace.statusCode, 200, replace.body);
    assert.ok(replace.json().certificate.replacementRequestedAt);
    assert.equal(replace.json().resolutionDetails.note, 'CHG-1234');

    const dismissFinding = await findingOf(made.weak.pem, 'self-signed');
    const noReason = await resolve(dismissFinding.id, { action: 'dismiss' });
    assert.equal(noReason.statusCode, 400);
    assert.match(errorOf(noReason).message, /a dismissal needs a reason/);
    const dismissed = await resolve(dismissFinding.id, { action: 'dismiss', reason: 'bench camera, never on the plant network' });
    assert.equal(dismissed.statusCode, 200, dismissed.body);
    assert.equal(dismissed.json().status, 'dismissed');
    const again = await resolve(dismissFinding.id, { action: 'dismiss', reason: 'again' });
    assert.equal(again.statusCode, 409);
    assert.match(errorOf(again).message, /already dismissed \(dismiss by token:initial-admin\)/);
    const byStatus = await findingsAt(api, '&status=dismissed');
    assert.deepEqual(byStatus.map((f) => f.id), [dismissFinding.id]);
  });

  it('refuses what a resolution cannot mean, each refusal audited', async () => {
    const forged = await findingOf(made.forged.pem, 'unauthorised');
    const adoptForged = await resolve(forged.id, { action: 'adopt', deviceId: await api.device() });
    assert.equal(adoptForged.statusCode, 422);
    assert.match(errorOf(adoptForged).message, /cannot be adopted; replace it/);
    const refusals = await api.audit({ action: 'discovery.finding.resolve', outcome: 'refused' });
    assert.equal(refusals[0].target, `discovery-finding:${forged.id}`);

    const open = await findingOf(made.stranger.pem, 'not-in-inventory');
    const cases: Array<[Json, number, RegExp]> = [
      [{ action: 'adopt', deviceId: 'x', device: { externalSerial: 'S', deviceClass: 'c', environment: 'e' } }, 400, /either deviceId .* or device .*, not both/],
      [{ action: 'adopt' }, 400, /either deviceId/],
      [{ action: 'dismiss', reason: 'r', owner: 'o' }, 400, /owner does not apply to dismiss/],
      [{ action: 'assign-owner' }, 400, /assign-owner needs owner/],
      [{ action: 'promote' }, 400, /body.action must be one of adopt, assign-owner, replace, dismiss/],
      [{ action: 'adopt', deviceId: 'no-such-device' }, 404, /no device with id no-such-device/],
    ];
    for (const [body, status, message] of cases) {
      const response = await resolve(open.id, body);
      assert.equal(response.statusCode, status, JSON.stringify(body));
      assert.match(errorOf(response).message, message);
    }
    assert.equal((await findingOf(made.stranger.pem, 'not-in-inventory')).status, 'open', 'nothing changed');
    assert.equal((await api.call('POST', '/api/v1/discovery/findings/nope/resolve', { body: { action: 'replace' } })).statusCode, 404);
    const auditor = await api.token('auditor');
    assert.equal((await resolve(open.id, { action: 'replace' }, auditor)).statusCode, 403);

    const verified = await api.call('GET', '/api/v1/audit/verify');
    assert.equal(verified.json().ok, true, verified.body);
  });
});
