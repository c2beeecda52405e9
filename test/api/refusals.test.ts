// Bad input and unauthorised callers, one table: each gets the right 4xx JSON error, no
// certificate is recorded, and the refusal is an audit event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { opensslCsr, type CsrKey } from '../helpers/context.ts';
import { pemBlocks, toPem } from '../../src/x509/pem.ts';
import { errorOf, openApi, type ApiHarness, type CallOptions } from './harness.ts';

interface RefusalCase {
  name: string;
  /** Builds the request body (and token) for the POST /api/v1/certificates call. */
  request: (deviceId: string) => Promise<CallOptions> | CallOptions;
  url?: string;
  status: number;
  code: string;
  message: RegExp;
  /** The audit event the refusal leaves: its action and actor. */
  audit: { action: string; actor: string | RegExp };
}

/** The CSR with one byte of its signature changed: well formed, but the proof of possession fails. */
function tamperedSignature(pem: string): string {
  const der = Buffer.from(pemBlocks(pem, 'CERTIFICATE REQUEST')[0]);
  der[der.length - 1] ^= 0x01;
  return toPem(der, 'CERTIFICATE REQUEST');
}

describe('refused requests', () => {
  let api: ApiHarness;
  let auditorToken: string;
  let operatorToken: string;
  before(async () => {
    api = await openApi();
    auditorToken = await api.token('auditor', 'auditor-1');
    operatorToken = await api.token('operator', 'operator-1');
  });
  after(() => api.close());

  const csr = (key?: CsrKey, options?: { sans?: string[] }) => opensslCsr(api.fleet.dir, key, options).pem;
  const admin = /^token:initial-admin$/;

  const cases: RefusalCase[] = [
    {
      name: 'malformed PEM',
      request: (deviceId) => ({ body: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nthis is not base64!\n-----END CERTIFICATE REQUEST-----\n', profile: 'sensor', deviceId } }),
      status: 400, code: 'bad_request', message: /malformed PEM/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'CSR whose signature does not verify',
      request: (deviceId) => ({ body: { csr: tamperedSignature(csr()), profile: 'sensor', deviceId } }),
      status: 400, code: 'bad_request', message: /signature does not verify/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'RSA 1024 key',
      request: (deviceId) => ({ body: { csr: csr('rsa-1024'), profile: 'gateway', deviceId } }),
      status: 422, code: 'policy_denied', message: /RSA key of 1024 bits is too weak/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'a SAN the profile does not allow',
      request: (deviceId) => ({ body: { csr: csr('ec-p256', { sans: ['DNS:evil.example.com'] }), profile: 'gateway', deviceId } }),
      status: 422, code: 'policy_denied', message: /SAN dns:evil\.example\.com is not allowed by profile gateway/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'unknown profile',
      request: (deviceId) => ({ body: { csr: csr(), profile: 'no-such-profile', deviceId } }),
      status: 400, code: 'bad_request', message: /unknown profile no-such-profile/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'unknown device',
      request: () => ({ body: { csr: csr(), profile: 'sensor', deviceId: 'no-such-device' } }),
      status: 404, code: 'not_found', message: /no device with id no-such-device/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'body over the size limit',
      request: (deviceId) => ({ body: { csr: 'A'.repeat(70 * 1024), profile: 'sensor', deviceId } }),
      status: 413, code: 'payload_too_large', message: /larger than this server accepts/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'a required field missing',
      request: (deviceId) => ({ body: { profile: 'sensor', deviceId } }),
      status: 400, code: 'bad_request', message: /body is missing the field csr/, audit: { action: 'certificate.issue', actor: admin },
    },
    {
      name: 'missing token',
      request: (deviceId) => ({ token: null, body: { csr: csr(), profile: 'sensor', deviceId } }),
      status: 401, code: 'unauthorized', message: /missing bearer token/, audit: { action: 'api.auth', actor: 'anonymous' },
    },
    {
      name: 'wrong token',
      request: (deviceId) => ({ token: 'fpk_not-a-real-token', body: { csr: csr(), profile: 'sensor', deviceId } }),
      status: 401, code: 'unauthorized', message: /unknown API token/, audit: { action: 'api.auth', actor: 'anonymous' },
    },
    {
      name: 'auditor trying to issue',
      request: (deviceId) => ({ token: auditorToken, body: { csr: csr(), profile: 'sensor', deviceId } }),
      status: 403, code: 'forbidden', message: /auditor role may not operate/, audit: { action: 'api.auth', actor: 'token:auditor-1' },
    },
    {
      name: 'operator trying to create a token',
      url: '/api/v1/tokens',
      request: () => ({ token: operatorToken, body: { name: 'sneaky', role: 'admin' } }),
      status: 403, code: 'forbidden', message: /operator role may not administer/, audit: { action: 'api.auth', actor: 'token:operator-1' },
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, nothing issued, audited`, async () => {
      const deviceId = await api.device();
      const options = await c.request(deviceId);
      const certificates = await api.certificateCount();
      const tokens = (await api.call('GET', '/api/v1/tokens')).json().items.length;

      const response = await api.call('POST', c.url ?? '/api/v1/certificates', options);

      assert.equal(response.statusCode, c.status, response.body);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const error = errorOf(response);
      assert.equal(error.code, c.code);
      assert.match(error.message, c.message);
      if (c.status === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer/);

      assert.equal(await api.certificateCount(), certificates, 'no certificate row');
      assert.equal((await api.call('GET', '/api/v1/tokens')).json().items.length, tokens, 'no token created');

      const [event] = await api.audit({ action: c.audit.action, outcome: 'refused' });
      assert.ok(event, 'a refusal event exists');
      assert.match(event.actor, typeof c.audit.actor === 'string' ? new RegExp(`^${c.audit.actor}$`) : c.audit.actor);
      assert.match(String(event.details.reason), c.message);
      if (c.audit.action === 'api.auth') assert.equal(event.target, `POST ${c.url ?? '/api/v1/certificates'}`);
    });
  }

  it('the audit chain still verifies after all these refusals', async () => {
    const verification = (await api.call('GET', '/api/v1/audit/verify', { token: auditorToken })).json();
    assert.deepEqual(verification.problems, []);
    assert.equal(verification.ok, true);
  });
});
