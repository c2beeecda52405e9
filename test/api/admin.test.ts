// CAs, profiles and the audit log through /api/v1: what an administrator configures and checks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslCsr, opensslVerify } from '../helpers/context.ts';
import { errorOf, openApi, type ApiHarness } from './harness.ts';

/** A self-signed root made by openssl, as an offline root's certificate would arrive. */
function opensslRoot(dir: string, name: string, extensions: string[] = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']): string {
  const stem = join(dir, name);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}.key`, '-out', `${stem}.pem`, '-subj', `/CN=${name}`, '-days', '30'];
  for (const extension of extensions) args.push('-addext', extension);
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(`${stem}.pem`, 'utf8');
}

describe('CAs, profiles and audit API', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  it('lists the hierarchy without key material and serves a CA chain that openssl verifies', async () => {
    const list = await api.call('GET', '/api/v1/cas');
    const names = list.json().items.map((ca: { name: string }) => ca.name);
    assert.deepEqual(names, ['fleet-root', 'devices-production', 'devices-lab', 'code-signing']);
    assert.ok(!/PRIVATE KEY|encrypted|sealed/i.test(list.body), 'no key material in the answer');

    const ca = (await api.call('GET', '/api/v1/cas/devices-production')).json();
    assert.equal(ca.kind, 'issuing');
    assert.equal(ca.parent, 'fleet-root');
    assert.equal(ca.hasKey, true);

    const chain = await api.call('GET', '/api/v1/cas/devices-production/chain');
    assert.equal(chain.headers['content-type'], 'application/pem-certificate-chain');
    const [issuing, root] = chain.body.split(/(?=-----BEGIN CERTIFICATE-----)/);
    const rootFile = join(api.fleet.dir, 'chain-root.pem');
    writeFileSync(rootFile, root);
    assert.match(opensslVerify({ root: rootFile, intermediate: rootFile }, issuing, api.fleet.dir), /: OK/);

    assert.equal((await api.call('GET', '/api/v1/cas/nope')).statusCode, 404);
  });

  it('creates an issuing CA, a profile that uses it, and issues a certificate openssl verifies', async () => {
    const created = await api.call('POST', '/api/v1/cas', {
      body: { name: 'devices-eu', keyType: 'ec-p256', validityDays: 365, commonName: 'fleetpki Devices EU CA', organization: 'fleetpki', parent: 'fleet-root' },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().parent, 'fleet-root');

    const profile = {
      ca: 'devices-eu',
      keys: { allowed: ['ec-p256'] },
      validity: '10d',
      subject: { O: 'fleetpki', CN: '{{device.id}}' },
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth'],
    };
    const put = await api.call('PUT', '/api/v1/profiles/eu-sensor', { body: profile });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().name, 'eu-sensor', 'the name comes from the path');
    assert.equal(put.json().renewAfter, 0.66, 'defaults are filled in');

    const deviceId = await api.device();
    const issued = await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'eu-sensor', deviceId } });
    assert.equal(issued.statusCode, 201, issued.body);
    const { certificate, chainPem } = issued.json();
    assert.equal(certificate.issuer, 'devices-eu');
    const [, intermediate, root] = chainPem.split(/(?=-----BEGIN CERTIFICATE-----)/);
    const files = { root: join(api.fleet.dir, 'eu-root.pem'), intermediate: join(api.fleet.dir, 'eu-int.pem') };
    writeFileSync(files.root, root);
    writeFileSync(files.intermediate, intermediate);
    assert.match(opensslVerify(files, certificate.pem, api.fleet.dir), /: OK/);
  });

  it('refuses a CA under an issuing CA, a duplicate name and a bad key type', async () => {
    const base = { keyType: 'ec-p256', validityDays: 30, commonName: 'x' };
    const underIssuing = await api.call('POST', '/api/v1/cas', { body: { ...base, name: 'sub-sub', parent: 'devices-production' } });
    assert.equal(underIssuing.statusCode, 400);
    assert.match(errorOf(underIssuing).message, /issuing CAs are created under a root/);

    const duplicate = await api.call('POST', '/api/v1/cas', { body: { ...base, name: 'devices-lab', parent: 'fleet-root' } });
    assert.equal(duplicate.statusCode, 409);

    const badKey = await api.call('POST', '/api/v1/cas', { body: { ...base, name: 'weak', keyType: 'rsa-1024', parent: 'fleet-root' } });
    assert.equal(badKey.statusCode, 400);
    assert.match(errorOf(badKey).message, /body\.keyType must be one of/);

    const [event] = await api.audit({ action: 'ca.create', outcome: 'refused' });
    assert.equal(event.target, 'ca:devices-lab');
  });

  it('imports an offline root certificate and refuses one that is not a CA', async () => {
    const imported = await api.call('POST', '/api/v1/cas/import-root', { body: { name: 'offline-root', certificatePem: opensslRoot(api.fleet.dir, 'offline-root') } });
    assert.equal(imported.statusCode, 201, imported.body);
    assert.equal(imported.json().kind, 'root');
    assert.equal(imported.json().hasKey, false);

    const notCa = opensslRoot(api.fleet.dir, 'not-a-ca', ['basicConstraints=critical,CA:FALSE']);
    const refused = await api.call('POST', '/api/v1/cas/import-root', { body: { name: 'not-a-ca', certificatePem: notCa } });
    assert.equal(refused.statusCode, 400);
    assert.match(errorOf(refused).message, /not a CA certificate/);
  });

  it('profiles: name mismatch, meaningless definitions and unknown CAs are refused; delete removes', async () => {
    const sensor = (await api.call('GET', '/api/v1/profiles/sensor')).json();
    const mismatch = await api.call('PUT', '/api/v1/profiles/other-name', { body: sensor });
    assert.equal(mismatch.statusCode, 400);
    assert.match(errorOf(mismatch).message, /named sensor but the path names other-name/);

    const forever = await api.call('PUT', '/api/v1/profiles/sensor', { body: { ...sensor, validity: 'forever' } });
    assert.equal(forever.statusCode, 400);
    assert.match(errorOf(forever).message, /validity/);

    const unknownCa = await api.call('PUT', '/api/v1/profiles/sensor', { body: { ...sensor, ca: 'no-such-ca' } });
    assert.equal(unknownCa.statusCode, 404);
    assert.equal((await api.call('GET', '/api/v1/profiles/sensor')).json().ca, 'devices-production', 'the stored profile is unchanged');

    const list = (await api.call('GET', '/api/v1/profiles')).json().items.map((p: { name: string }) => p.name);
    assert.ok(list.includes('lab-sensor'));
    assert.equal((await api.call('DELETE', '/api/v1/profiles/lab-sensor')).statusCode, 204);
    assert.equal((await api.call('GET', '/api/v1/profiles/lab-sensor')).statusCode, 404);
    assert.equal((await api.call('DELETE', '/api/v1/profiles/lab-sensor')).statusCode, 404);
  });

  it('audit: newest first, filtered, paged with the before cursor, and the chain verifies', async () => {
    for (let i = 0; i < 3; i++) await api.device({ site: 'audit-site' });
    const all = (await api.call('GET', '/api/v1/audit?action=device.create&outcome=success&limit=1000')).json().items;
    assert.ok(all.length >= 3);
    assert.ok(all.every((e: { action: string }) => e.action === 'device.create'));
    const seqs = all.map((e: { seq: number }) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');

    const paged: number[] = [];
    let cursor: number | null = null;
    do {
      const page: { items: { seq: number }[]; nextCursor: number | null } = (await api.call('GET', `/api/v1/audit?action=device.create&outcome=success&limit=2${cursor ? `&before=${cursor}` : ''}`)).json();
      paged.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, seqs);

    const future = (await api.call('GET', `/api/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json();
    assert.equal(future.items.length, 0);
    const byActor = (await api.call('GET', '/api/v1/audit?actor=system:init&limit=5')).json();
    assert.ok(byActor.items.length > 0 && byActor.items.every((e: { actor: string }) => e.actor === 'system:init'));

    const verify = (await api.call('GET', '/api/v1/audit/verify')).json();
    assert.equal(verify.ok, true);
    assert.ok(verify.events > all.length);
  });
});
