// A device's life through /api/v1/devices: register, change, suspend, reactivate, decommission.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createManufacturerCa } from '../../src/factory/manufacturer-ca.ts';
import { opensslCsr } from '../helpers/context.ts';
import { fleet as cliFleet, tempDir } from '../cli/run.ts';
import { errorOf, openApi, type ApiHarness } from './harness.ts';

describe('devices API', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  const issue = (deviceId: string) =>
    api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId } });

  it('registers a device, refuses a duplicate serial and an unknown field', async () => {
    const created = await api.call('POST', '/api/v1/devices', {
      body: { externalSerial: 'TH-0001', deviceClass: 'sensor', environment: 'production', model: 'TH-2', site: 'plant-1', owner: 'ops', criticality: 'high', metadata: { rack: 7 } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const device = created.json();
    assert.equal(device.status, 'registered');
    assert.deepEqual(device.metadata, { rack: 7 });
    assert.equal(device.criticality, 'high');

    const duplicate = await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-0001', deviceClass: 'sensor', environment: 'production' } });
    assert.equal(duplicate.statusCode, 409);
    assert.match(errorOf(duplicate).message, /TH-0001 is already registered/);

    const typo = await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-0002', deviceClass: 'sensor', environment: 'production', sitee: 'x' } });
    assert.equal(typo.statusCode, 400);
    assert.match(errorOf(typo).message, /unknown field sitee/);

    const missing = await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-0003' } });
    assert.equal(missing.statusCode, 400);
    assert.match(errorOf(missing).message, /missing the field deviceClass, environment/);
  });

  it('patches fields, clears one with null and never changes the serial', async () => {
    const id = await api.device({ site: 'plant-1', owner: 'ops' });
    const patched = await api.call('PATCH', `/api/v1/devices/${id}`, { body: { site: 'plant-2', owner: null, criticality: 'critical' } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().site, 'plant-2');
    assert.equal(patched.json().owner, null);
    assert.equal(patched.json().criticality, 'critical');

    const serial = await api.call('PATCH', `/api/v1/devices/${id}`, { body: { externalSerial: 'OTHER' } });
    assert.equal(serial.statusCode, 400);
    assert.match(errorOf(serial).message, /unknown field externalSerial/);

    const unknown = await api.call('PATCH', '/api/v1/devices/no-such-device', { body: { site: 'x' } });
    assert.equal(unknown.statusCode, 404);
  });

  it('suspended: issuance refused with 422, a clear message, no certificate row and an audit event; reactivated: issued again', async () => {
    const id = await api.device();
    const suspended = await api.call('POST', `/api/v1/devices/${id}/suspend`);
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().status, 'suspended');

    const before = await api.certificateCount();
    const refused = await issue(id);
    assert.equal(refused.statusCode, 422);
    assert.equal(errorOf(refused).code, 'policy_denied');
    assert.match(errorOf(refused).message, /is suspended; reactivate it before issuing/);
    assert.equal(await api.certificateCount(), before, 'nothing issued');
    const [event] = await api.audit({ action: 'certificate.issue', outcome: 'refused' });
    assert.equal(event.target, `device:${id}`);
    assert.match(String(event.details.reason), /suspended/);

    const reactivated = await api.call('POST', `/api/v1/devices/${id}/reactivate`);
    assert.equal(reactivated.json().status, 'active');
    assert.equal((await issue(id)).statusCode, 201);
  });

  it('decommission (retired, the default) revokes every certificate with cessationOfOperation and blocks issuance for good', async () => {
    const id = await api.device();
    const ids = [(await issue(id)).json().certificate.id, (await issue(id)).json().certificate.id];

    const response = await api.call('POST', `/api/v1/devices/${id}/decommission`);
    assert.equal(response.statusCode, 200, response.body);
    const { device, revokedCertificateIds } = response.json();
    assert.equal(device.status, 'decommissioned');
    assert.deepEqual([...revokedCertificateIds].sort(), [...ids].sort());

    const certificates = (await api.call('GET', `/api/v1/devices/${id}/certificates`)).json().items;
    assert.equal(certificates.length, 2);
    for (const certificate of certificates) {
      assert.equal(certificate.status, 'revoked');
      assert.equal(certificate.revocationReason, 'cessationOfOperation');
    }

    const refused = await issue(id);
    assert.equal(refused.statusCode, 422);
    assert.match(errorOf(refused).message, /decommissioned/);
    const again = await api.call('POST', `/api/v1/devices/${id}/decommission`);
    assert.equal(again.statusCode, 409);
    const reactivate = await api.call('POST', `/api/v1/devices/${id}/reactivate`);
    assert.equal(reactivate.statusCode, 409);
    assert.match(errorOf(reactivate).message, /decommissioned; it cannot become active/);
  });

  it('decommission as compromised revokes with keyCompromise; an unknown reason is refused', async () => {
    const id = await api.device();
    const certificateId = (await issue(id)).json().certificate.id;
    const bad = await api.call('POST', `/api/v1/devices/${id}/decommission`, { body: { reason: 'bored' } });
    assert.equal(bad.statusCode, 400);
    assert.match(errorOf(bad).message, /body\.reason must be one of retired, lost, compromised/);

    const response = await api.call('POST', `/api/v1/devices/${id}/decommission`, { body: { reason: 'compromised' } });
    assert.deepEqual(response.json().revokedCertificateIds, [certificateId]);
    const certificate = (await api.call('GET', `/api/v1/certificates/${certificateId}`)).json();
    assert.equal(certificate.revocationReason, 'keyCompromise');
  });

  it('lists with filters and pages with the cursor', async () => {
    const site = `site-${Date.now()}`;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await api.device({ site, owner: i % 2 ? 'team-odd' : 'team-even' }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await api.call('GET', `/api/v1/devices?site=${site}&limit=2${cursor ? `&after=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((d: { id: string }) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids);

    const odd = (await api.call('GET', `/api/v1/devices?site=${site}&owner=team-odd`)).json();
    assert.deepEqual(odd.items.map((d: { id: string }) => d.id), [ids[1], ids[3]]);
    const q = (await api.call('GET', `/api/v1/devices?q=TEAM-ODD&site=${site}`)).json();
    assert.equal(q.items.length, 2, 'q is a case-insensitive substring search');

    const tooMany = await api.call('GET', '/api/v1/devices?limit=1001');
    assert.equal(tooMany.statusCode, 400);
    assert.match(errorOf(tooMany).message, /query\.limit/);
  });

  it('binds a device to a registered manufacturer (who may enrol it with an IDevID), refuses an unknown one, clears it with null', async () => {
    await createManufacturerCa(api.fleet.ctx, { name: 'acme-devices', keyType: 'ec-p256', commonName: 'Acme IDevID CA', organization: 'Acme' }, 'test');
    const before = await api.call('GET', '/api/v1/devices?q=TH-M');
    const unknown = await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-M1', deviceClass: 'sensor', environment: 'production', manufacturer: 'nobody' } });
    assert.equal(unknown.statusCode, 404);
    assert.match(errorOf(unknown).message, /no manufacturer named nobody is registered/);
    assert.deepEqual((await api.call('GET', '/api/v1/devices?q=TH-M')).json().items, before.json().items, 'nothing registered');
    const [refused] = await api.audit({ action: 'device.create', outcome: 'refused' });
    assert.equal(refused.target, 'device-serial:TH-M1');

    const created = await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-M1', deviceClass: 'sensor', environment: 'production', manufacturer: 'acme-devices' } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().manufacturer, 'acme-devices');
    const id = created.json().id;
    assert.equal((await api.call('GET', `/api/v1/devices/${id}`)).json().manufacturer, 'acme-devices');
    assert.equal(errorOf(await api.call('PATCH', `/api/v1/devices/${id}`, { body: { manufacturer: 'nobody' } })).code, 'not_found');

    const cleared = await api.call('PATCH', `/api/v1/devices/${id}`, { body: { manufacturer: null } });
    assert.equal(cleared.statusCode, 200, cleared.body);
    assert.equal(cleared.json().manufacturer, null);
    const [update] = await api.audit({ action: 'device.update', outcome: 'success' });
    assert.deepEqual(update.details, { fields: ['manufacturer'], manufacturer: null });
    assert.equal((await api.call('POST', '/api/v1/devices', { body: { externalSerial: 'TH-M2', deviceClass: 'sensor', environment: 'production' } })).json().manufacturer, null, 'unbound unless given');
  });
});

describe('devices CLI: the manufacturer binding', () => {
  const dir = tempDir();
  const cli = cliFleet(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('device create --manufacturer binds, update --manufacturer "" unbinds, an unknown name is refused', async () => {
    assert.equal((await cli.run('init')).code, 0);
    assert.equal((await cli.run('manufacturer', 'create-ca', '--name', 'acme-devices')).code, 0);
    const device = await cli.json('device', 'create', '--serial', 'CLI-M1', '--class', 'sensor', '--environment', 'production', '--manufacturer', 'acme-devices');
    assert.equal(device.manufacturer, 'acme-devices');
    const unbound = await cli.json('device', 'update', device.id, '--manufacturer', '');
    assert.equal(unbound.manufacturer, null);
    const unknown = await cli.run('device', 'update', device.id, '--manufacturer', 'nobody');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no manufacturer named nobody is registered/);
  });
});
