// The public CRL routes and the release of held certificates, through the REST API as a
// relying party and an operator use them.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { parseCrl } from '../../src/x509/crl.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { crlDpOf, issueDevice } from './harness.ts';

const PUBLIC_URL = 'http://pki.fleet.test';
const pathOf = (url: string) => url.slice(PUBLIC_URL.length);

describe('CRL routes', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi({ publicUrl: PUBLIC_URL });
  });
  after(() => api?.close());

  it('an unknown CA is a 404 that names it, for the full CRL and for a partition', async () => {
    for (const url of ['/crl/no-such-ca.crl', '/crl/no-such-ca/202612-a.crl', '/crl/NoSuch.crl']) {
      const response = await api.call('GET', url, { token: null });
      assert.equal(response.statusCode, 404, url);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(errorOf(response), { code: 'not_found', message: `no CA named ${url.split('/')[2].replace('.crl', '')}` });
    }
  });

  it('a malformed or expired partition is a 404 that says how partitions are named', async () => {
    const bad = await api.call('GET', '/crl/devices-production/latest.crl', { token: null });
    assert.equal(bad.statusCode, 404);
    assert.match(errorOf(bad).message, /no CRL partition "latest" of CA devices-production: partitions are named YYYYMM-h/);
    const old = await api.call('GET', '/crl/devices-production/201901-a.crl', { token: null });
    assert.equal(old.statusCode, 404);
    assert.match(errorOf(old).message, /has expired/);
  });

  it('DER by default, PEM with ?format=pem or Accept: application/x-pem-file; cacheable until nextUpdate', async () => {
    const der = await api.call('GET', '/crl/devices-production.crl', { token: null });
    assert.equal(der.statusCode, 200);
    assert.equal(der.headers['content-type'], 'application/pkix-crl');
    const info = parseCrl(der.rawPayload);
    assert.equal(der.headers['last-modified'], info.thisUpdate.toUTCString());
    const maxAge = Number(/max-age=(\d+)/.exec(String(der.headers['cache-control']))![1]);
    assert.ok(maxAge > 0 && maxAge <= (info.nextUpdate!.getTime() - Date.now()) / 1000 + 1, `max-age ${maxAge}`);
    for (const request of [{ url: '/crl/devices-production.crl?format=pem' }, { url: '/crl/devices-production.crl', headers: { accept: 'application/x-pem-file' } }]) {
      const pem = await api.call('GET', request.url, { token: null, headers: request.headers });
      assert.equal(pem.headers['content-type'], 'application/x-pem-file');
      assert.match(pem.body, /^-----BEGIN X509 CRL-----\n/);
      assert.deepEqual(parseCrl(pem.body), info);
    }
  });

  it('a cache revalidating with the ETag gets 304 until the CRL changes; If-Modified-Since alone never 304s (one-second resolution)', async () => {
    const first = await api.call('GET', '/crl/devices-production.crl', { token: null });
    const etag = String(first.headers.etag);
    assert.equal((await api.call('GET', '/crl/devices-production.crl', { token: null, headers: { 'if-none-match': etag } })).statusCode, 304);
    assert.equal((await api.call('GET', '/crl/devices-production.crl', { token: null, headers: { 'if-modified-since': String(first.headers['last-modified']) } })).statusCode, 200);
    const cert = await issueDevice(api.fleet);
    const crls = new CrlScheduler(api.fleet.ctx).listen();
    await revokeCertificate(api.fleet.ctx, cert.row.id, 'superseded', 'test');
    await crls.flush();
    await crls.stop();
    const changed = await api.call('GET', '/crl/devices-production.crl', { token: null, headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.ok(parseCrl(changed.rawPayload).entries.some((e) => e.serialHex === cert.row.serial_hex && e.reason === 'superseded'));
  });

  it('every CA has a CRL, the root included, and CRL numbers only grow', async () => {
    for (const ca of ['fleet-root', 'devices-production', 'devices-lab', 'code-signing']) {
      const response = await api.call('GET', `/crl/${ca}.crl`, { token: null });
      assert.equal(response.statusCode, 200, ca);
    }
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const cert = await issueDevice(api.fleet);
      const crls = new CrlScheduler(api.fleet.ctx).listen();
      await revokeCertificate(api.fleet.ctx, cert.row.id, 'keyCompromise', 'test');
      await crls.flush();
      await crls.stop();
      // Signed in this order after a revocation: the certificate's partition, then the full CRL.
      numbers.push(parseCrl((await api.call('GET', pathOf(crlDpOf(cert.pem)), { token: null })).rawPayload).crlNumber!);
      numbers.push(parseCrl((await api.call('GET', '/crl/devices-production.crl', { token: null })).rawPayload).crlNumber!);
    }
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    assert.equal(new Set(numbers).size, numbers.length, `strictly increasing: ${numbers.join(', ')}`);
  });
});

describe('suspension: certificateHold and release', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi({ publicUrl: PUBLIC_URL });
  });
  after(() => api?.close());

  async function partitionCrl(pem: string) {
    return parseCrl((await api.call('GET', pathOf(crlDpOf(pem)), { token: null })).rawPayload);
  }

  it('hold puts the certificate on the CRL with certificateHold; release takes it off, audited, with a revocation event', async () => {
    const cert = await issueDevice(api.fleet);
    const events: unknown[] = [];
    api.fleet.ctx.events.on('revocation', (e) => events.push(e));
    const crls = new CrlScheduler(api.fleet.ctx).listen();
    const held = await api.call('POST', `/api/v1/certificates/${cert.row.id}/revoke`, { body: { reason: 'certificateHold' } });
    assert.equal(held.json().status, 'on_hold');
    await crls.flush();
    assert.deepEqual((await partitionCrl(cert.pem)).entries.find((e) => e.serialHex === cert.row.serial_hex)?.reason, 'certificateHold');

    const released = await api.call('POST', `/api/v1/certificates/${cert.row.id}/release`);
    assert.equal(released.statusCode, 200, released.body);
    assert.equal(released.json().status, 'valid');
    assert.equal(released.json().revocationReason, null);
    await crls.flush();
    await crls.stop();
    assert.ok(!(await partitionCrl(cert.pem)).entries.some((e) => e.serialHex === cert.row.serial_hex), 'off the CRL');
    assert.equal(events.length, 2);
    const [event] = await api.audit({ action: 'certificate.release', outcome: 'success' });
    assert.equal(event.target, `certificate:${cert.row.id}`);
    assert.ok(event.details.heldSince);
  });

  it('only a held certificate can be released: valid and revoked ones are 409, unknown 404, each refusal audited', async () => {
    const valid = await issueDevice(api.fleet);
    const revoked = await issueDevice(api.fleet);
    await api.call('POST', `/api/v1/certificates/${revoked.row.id}/revoke`, { body: { reason: 'keyCompromise' } });
    const notHeld = await api.call('POST', `/api/v1/certificates/${valid.row.id}/release`);
    assert.equal(notHeld.statusCode, 409);
    assert.match(errorOf(notHeld).message, /is valid, not on hold/);
    const final = await api.call('POST', `/api/v1/certificates/${revoked.row.id}/release`);
    assert.equal(final.statusCode, 409);
    assert.match(errorOf(final).message, /is revoked, not on hold/);
    assert.equal((await api.call('POST', '/api/v1/certificates/nope/release')).statusCode, 404);
    const refusals = await api.audit({ action: 'certificate.release', outcome: 'refused' });
    assert.equal(refusals.length, 3);
  });

  it('releasing needs the operate permission: an auditor is refused', async () => {
    const cert = await issueDevice(api.fleet);
    await api.call('POST', `/api/v1/certificates/${cert.row.id}/revoke`, { body: { reason: 'certificateHold' } });
    const response = await api.call('POST', `/api/v1/certificates/${cert.row.id}/release`, { token: await api.token('auditor') });
    assert.equal(response.statusCode, 403);
    assert.equal((await api.call('GET', `/api/v1/certificates/${cert.row.id}`)).json().status, 'on_hold');
  });
});
