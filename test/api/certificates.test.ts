// Issuing, reading, searching and revoking certificates through /api/v1/certificates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { opensslCsr, opensslText, opensslVerify, writeChainFiles } from '../helpers/context.ts';
import { errorOf, openApi, type ApiHarness } from './harness.ts';

describe('certificates API', () => {
  let api: ApiHarness;
  let chain: { root: string; intermediate: string };
  before(async () => {
    api = await openApi();
    chain = await writeChainFiles(api.fleet);
  });
  after(() => api.close());

  async function issue(deviceId: string, profile = 'sensor', csrPem = opensslCsr(api.fleet.dir).pem) {
    const response = await api.call('POST', '/api/v1/certificates', { body: { csr: csrPem, profile, deviceId } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  }

  it('issues from an openssl CSR; the PEM passes openssl verify and names the device', async () => {
    const deviceId = await api.device();
    const { certificate, chainPem } = await issue(deviceId);
    assert.equal(certificate.deviceId, deviceId);
    assert.equal(certificate.issuer, 'devices-production');
    assert.equal(certificate.status, 'valid');
    assert.match(opensslVerify(chain, certificate.pem, api.fleet.dir), /: OK/);
    const text = opensslText(certificate.pem);
    assert.match(text, new RegExp(`CN ?= ?${deviceId}`));
    assert.match(text, new RegExp(`URI:urn:fleetpki:device:${deviceId}`));
    assert.equal((chainPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, 'leaf, issuing CA, root');
    assert.ok(chainPem.startsWith(certificate.pem));

    const device = (await api.call('GET', `/api/v1/devices/${deviceId}`)).json();
    assert.equal(device.status, 'active', 'the first certificate activates a registered device');
  });

  it('accepts the CSR as base64 DER as well as PEM', async () => {
    const pem = opensslCsr(api.fleet.dir).pem;
    const base64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const { certificate } = await issue(await api.device(), 'sensor', base64);
    assert.match(opensslVerify(chain, certificate.pem, api.fleet.dir), /: OK/);
  });

  it('serves one certificate as JSON and as PEM, with ?chain=true its CA chain too', async () => {
    const { certificate } = await issue(await api.device());
    const json = await api.call('GET', `/api/v1/certificates/${certificate.id}`);
    assert.equal(json.json().serial, certificate.serial);

    const pem = await api.call('GET', `/api/v1/certificates/${certificate.id}/pem`);
    assert.equal(pem.headers['content-type'], 'application/pem-certificate-chain');
    assert.equal(pem.body, certificate.pem);

    const withChain = await api.call('GET', `/api/v1/certificates/${certificate.id}/pem?chain=true`);
    assert.equal((withChain.body.match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
    // openssl reads the first certificate of the file and takes the rest as untrusted intermediates.
    assert.match(opensslVerify(chain, withChain.body, api.fleet.dir), /: OK/);

    const missing = await api.call('GET', '/api/v1/certificates/no-such-id/pem');
    assert.equal(missing.statusCode, 404);
    assert.equal(errorOf(missing).code, 'not_found');
  });

  it('renews: replaces must name a certificate of the same device', async () => {
    const deviceId = await api.device();
    const first = (await issue(deviceId)).certificate;
    const renewed = await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId, replaces: first.id } });
    assert.equal(renewed.statusCode, 201, renewed.body);
    assert.equal(renewed.json().certificate.replacesId, first.id);

    const other = await api.device();
    const before = await api.certificateCount();
    const wrong = await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId: other, replaces: first.id } });
    assert.equal(wrong.statusCode, 400);
    assert.match(errorOf(wrong).message, /belongs to another device/);
    assert.equal(await api.certificateCount(), before);
  });

  it('revokes with an RFC 5280 reason, refuses a second revocation and an unknown reason', async () => {
    const { certificate } = await issue(await api.device());
    const revoked = await api.call('POST', `/api/v1/certificates/${certificate.id}/revoke`, { body: { reason: 'keyCompromise' } });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().status, 'revoked');
    assert.equal(revoked.json().revocationReason, 'keyCompromise');
    assert.ok(revoked.json().revokedAt);

    const again = await api.call('POST', `/api/v1/certificates/${certificate.id}/revoke`, { body: { reason: 'superseded' } });
    assert.equal(again.statusCode, 409);
    assert.match(errorOf(again).message, /already revoked/);

    const other = (await issue(await api.device())).certificate;
    const bogus = await api.call('POST', `/api/v1/certificates/${other.id}/revoke`, { body: { reason: 'tired' } });
    assert.equal(bogus.statusCode, 400);
    assert.match(errorOf(bogus).message, /body\.reason must be one of .*keyCompromise/);

    const events = await api.audit({ action: 'certificate.revoke', outcome: 'success' });
    assert.ok(events.some((e) => e.target === `certificate:${certificate.id}` && e.details.reason === 'keyCompromise' && e.actor === 'token:initial-admin'));
  });

  it('revoking without a body records reason unspecified', async () => {
    const { certificate } = await issue(await api.device());
    const revoked = await api.call('POST', `/api/v1/certificates/${certificate.id}/revoke`);
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().revocationReason, 'unspecified');
  });

  it('pages through search results with the cursor, without gaps or repeats', async () => {
    const deviceId = await api.device();
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) issued.push((await issue(deviceId)).certificate.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/certificates?deviceId=${deviceId}&limit=2${cursor ? `&after=${cursor}` : ''}`;
      const page: { items: { id: string }[]; nextCursor: string | null } = (await api.call('GET', url)).json();
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, issued, 'oldest first, each once');
  });

  it('filters by issuer name, status, serial and expiry; an unknown issuer is a bad request', async () => {
    const deviceId = await api.device();
    const { certificate } = await issue(deviceId);
    const bySerial = (await api.call('GET', `/api/v1/certificates?serial=${certificate.serial.toUpperCase()}`)).json();
    assert.deepEqual(bySerial.items.map((c: { id: string }) => c.id), [certificate.id]);

    const combined = (await api.call('GET', `/api/v1/certificates?issuer=devices-production&status=valid&deviceId=${deviceId}`)).json();
    assert.deepEqual(combined.items.map((c: { id: string }) => c.id), [certificate.id]);
    const lab = (await api.call('GET', `/api/v1/certificates?issuer=devices-lab&deviceId=${deviceId}`)).json();
    assert.equal(lab.items.length, 0);

    // A timestamp with an offset means the same instant as its UTC form (compared as text,
    // the -05:00 form would sort before notAfter and find nothing).
    const notAfter = new Date(certificate.notAfter);
    const justAfter = new Date(notAfter.getTime() + 1000);
    const offsetForm = new Date(justAfter.getTime() - 5 * 3600_000).toISOString().replace('Z', '-05:00');
    const expiring = (await api.call('GET', `/api/v1/certificates?deviceId=${deviceId}&expiringBefore=${encodeURIComponent(offsetForm)}`)).json();
    assert.deepEqual(expiring.items.map((c: { id: string }) => c.id), [certificate.id]);
    const later = (await api.call('GET', `/api/v1/certificates?deviceId=${deviceId}&expiringAfter=${encodeURIComponent(justAfter.toISOString())}`)).json();
    assert.equal(later.items.length, 0);

    const unknown = await api.call('GET', '/api/v1/certificates?issuer=no-such-ca');
    assert.equal(unknown.statusCode, 400);
    assert.match(errorOf(unknown).message, /no CA named no-such-ca/);

    const badDate = await api.call('GET', '/api/v1/certificates?expiringBefore=tomorrow');
    assert.equal(badDate.statusCode, 400);
    assert.match(errorOf(badDate).message, /query\.expiringBefore/);
  });

  it('a certificate fetched from the API is the one openssl sees: serial and fingerprint agree', async () => {
    const { certificate } = await issue(await api.device());
    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: certificate.pem, encoding: 'utf8' });
    assert.equal(fingerprint.split('=')[1].trim().replace(/:/g, '').toLowerCase(), certificate.fingerprintSha256);
    const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: certificate.pem, encoding: 'utf8' });
    assert.equal(serial.split('=')[1].trim().toLowerCase().replace(/^0+/, ''), certificate.serial.replace(/^0+/, ''));
  });
});
