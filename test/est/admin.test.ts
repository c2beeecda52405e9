// The operator's side of EST enrolment: bootstrap tokens and manufacturer trust anchors
// through the REST API (with its permissions) and the CLI, and a token made through the API
// used by curl against the EST server.

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startEstServer } from '../../src/est/server.ts';
import { openApi, type ApiHarness } from '../api/harness.ts';
import { fleet as cliFleet, tempDir } from '../cli/run.ts';
import { writeChainFiles } from '../helpers/context.ts';
import { makeManufacturer, opensslCsr, postCsr, type EstFleet } from './harness.ts';

let api: ApiHarness;
let est: EstFleet;
before(async () => {
  api = await openApi({ estListen: '127.0.0.1:0' });
  const server = await startEstServer(api.fleet.ctx);
  est = { ...api.fleet, est: server, url: server.url, chain: await writeChainFiles(api.fleet), file: (name) => `${api.fleet.dir}/${name}`, close: async () => undefined };
});
after(async () => {
  await est.est.close();
  await api.close();
});

describe('REST: /api/v1/devices/:id/bootstrap-tokens', () => {
  test('an operator creates a token, shown once; curl enrols with it; the list shows it used, never the secret', async () => {
    const deviceId = await api.device();
    const operator = await api.token('operator');
    const created = await api.call('POST', `/api/v1/devices/${deviceId}/bootstrap-tokens`, { token: operator, body: { profile: 'sensor', expiresIn: '1h' } });
    assert.equal(created.statusCode, 201, created.body);
    const { token, id, expiresAt, usedAt } = created.json();
    assert.match(token, /^fpb_[A-Za-z0-9_-]{43}$/);
    assert.equal(usedAt, null);
    assert.ok(Math.abs(Date.parse(expiresAt) - Date.now() - 3600_000) < 60_000);
    const csr = await opensslCsr(est, `/CN=${deviceId}`);
    assert.equal((await postCsr(est, '/sensor/simpleenroll', csr.b64File, ['-u', `device:${token}`])).status, 200);
    const listed = await api.call('GET', `/api/v1/devices/${deviceId}/bootstrap-tokens`, { token: await api.token('auditor') });
    assert.equal(listed.statusCode, 200);
    const [item] = listed.json().items;
    assert.equal(item.id, id);
    assert.ok(item.usedAt);
    assert.ok(!JSON.stringify(listed.json()).includes(token.slice(4)), 'the secret is not listed');
    assert.ok(!('tokenHash' in item) && !('token_hash' in item));
  });

  test('refusals: an auditor may not create (403), unknown profile (400), past or too distant expiry (400), unknown device (404)', async () => {
    const deviceId = await api.device();
    const url = `/api/v1/devices/${deviceId}/bootstrap-tokens`;
    assert.equal((await api.call('POST', url, { token: await api.token('auditor'), body: { profile: 'sensor' } })).statusCode, 403);
    const unknown = await api.call('POST', url, { body: { profile: 'nope' } });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /unknown profile nope/);
    assert.equal((await api.call('POST', url, { body: { profile: 'sensor', expiresAt: '2001-01-01T00:00:00Z' } })).statusCode, 400);
    assert.match((await api.call('POST', url, { body: { profile: 'sensor', expiresIn: '31d' } })).json().error.message, /at most 30 days/);
    assert.equal((await api.call('POST', '/api/v1/devices/no-such-device/bootstrap-tokens', { body: { profile: 'sensor' } })).statusCode, 404);
  });
});

describe('REST: /api/v1/manufacturers', () => {
  test('an admin registers a manufacturer CA; an operator may list but not add', async () => {
    const maker = await makeManufacturer(est);
    const pem = readFileSync(maker.caCert, 'utf8');
    const operator = await api.token('operator');
    assert.equal((await api.call('POST', '/api/v1/manufacturers', { token: operator, body: { name: 'acme', certificatePem: pem } })).statusCode, 403);
    const added = await api.call('POST', '/api/v1/manufacturers', { body: { name: 'acme', certificatePem: pem } });
    assert.equal(added.statusCode, 201, added.body);
    assert.match(added.json().subject, /IDevID Root CA/);
    const listed = await api.call('GET', '/api/v1/manufacturers', { token: operator });
    assert.deepEqual(listed.json().items.map((m: { name: string }) => m.name), ['acme']);
    const again = await api.call('POST', '/api/v1/manufacturers', { body: { name: 'acme-2', certificatePem: pem } });
    assert.equal(again.statusCode, 409);
    const idevid = await maker.idevid('SN-LEAF');
    const leaf = await api.call('POST', '/api/v1/manufacturers', { body: { name: 'leaf', certificatePem: readFileSync(idevid.certFile, 'utf8') } });
    assert.equal(leaf.statusCode, 400);
    assert.match(leaf.json().error.message, /not a CA certificate/);
    const refused = await api.audit({ action: 'manufacturer.add', outcome: 'refused' });
    assert.ok(refused.length >= 2);
  });
});

describe('CLI', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = cliFleet(dir);

  test('device bootstrap-token prints the token once on stdout; manufacturer add and list', async () => {
    assert.equal((await cli.run('init')).code, 0);
    const device = await cli.json('device', 'create', '--serial', 'SN-CLI-1', '--class', 'sensor', '--environment', 'production');
    const plain = await cli.run('device', 'bootstrap-token', device.id, '--profile', 'sensor', '--expires-in', '24h');
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^fpb_[A-Za-z0-9_-]{43}\n$/);
    assert.match(plain.stderr, /shown only this once/);
    const json = await cli.json('device', 'bootstrap-token', device.id, '--profile', 'gateway', '--expires-in', '15m');
    assert.equal(json.profile, 'gateway');
    assert.equal(json.deviceId, device.id);
    const bad = await cli.run('device', 'bootstrap-token', device.id, '--profile', 'sensor', '--expires-in', 'soon');
    assert.equal(bad.code, 2);

    const maker = await makeManufacturer({ ...est, file: (name: string) => `${dir}/${name}` });
    const added = await cli.json('manufacturer', 'add', '--name', 'acme', '--cert', maker.caCert);
    assert.equal(added.name, 'acme');
    const listed = await cli.run('manufacturer', 'list');
    assert.match(listed.stdout, /acme\s+.*IDevID Root CA/);
  });
});
