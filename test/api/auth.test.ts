// Tokens and roles: who may do what, what a refused caller hears, and that secrets stay out of logs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import Fastify from 'fastify';
import { requireAuth } from '../../src/api/auth.ts';
import { buildApi } from '../../src/api/server.ts';
import { opensslCsr } from '../helpers/context.ts';
import { errorOf, openApi, type ApiHarness } from './harness.ts';

describe('authentication and roles', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  it('an admin creates a token (secret shown once), lists it without the secret, and revokes it', async () => {
    const created = await api.call('POST', '/api/v1/tokens', { body: { name: 'ci-pipeline', role: 'operator' } });
    assert.equal(created.statusCode, 201, created.body);
    const { token, info } = created.json();
    assert.match(token, /^fpk_/);
    assert.equal(info.role, 'operator');
    assert.equal(info.revokedAt, null);

    const listed = await api.call('GET', '/api/v1/tokens');
    assert.ok(listed.json().items.some((t: { id: string }) => t.id === info.id));
    assert.ok(!listed.body.includes(token), 'the secret is never listed');
    assert.ok(!/hash/i.test(listed.body), 'nor its hash');

    assert.equal((await api.call('GET', '/api/v1/devices', { token })).statusCode, 200);
    assert.equal((await api.call('DELETE', `/api/v1/tokens/${info.id}`)).statusCode, 204);
    const afterRevoke = await api.call('GET', '/api/v1/devices', { token });
    assert.equal(afterRevoke.statusCode, 401);
    assert.match(errorOf(afterRevoke).message, /revoked/);
    assert.equal((await api.call('DELETE', `/api/v1/tokens/${info.id}`)).statusCode, 404, 'revoking twice');
  });

  it('an expired token is refused; an expiry in the past cannot be set', async () => {
    const past = await api.call('POST', '/api/v1/tokens', { body: { name: 'old', role: 'auditor', expiresAt: '2001-01-01T00:00:00Z' } });
    assert.equal(past.statusCode, 400);
    assert.match(errorOf(past).message, /expiresAt is in the past/);

    const soon = new Date(Date.now() + 1500).toISOString();
    const { token } = (await api.call('POST', '/api/v1/tokens', { body: { name: 'short-lived', role: 'auditor', expiresAt: soon } })).json();
    assert.equal((await api.call('GET', '/api/v1/cas', { token })).statusCode, 200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const expired = await api.call('GET', '/api/v1/cas', { token });
    assert.equal(expired.statusCode, 401);
    assert.match(errorOf(expired).message, /expired/);
  });

  it('roles: auditor reads, operator operates, only admin administers', async () => {
    const auditor = await api.token('auditor');
    const operator = await api.token('operator', 'operator-roles');
    const deviceId = await api.device();
    const issue = (token: string) => api.call('POST', '/api/v1/certificates', { token, body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId } });

    for (const url of ['/api/v1/devices', '/api/v1/certificates', '/api/v1/cas', '/api/v1/profiles', '/api/v1/audit', '/api/v1/audit/verify']) {
      assert.equal((await api.call('GET', url, { token: auditor })).statusCode, 200, url);
    }
    assert.equal((await issue(auditor)).statusCode, 403);
    assert.equal((await api.call('POST', `/api/v1/devices/${deviceId}/suspend`, { token: auditor })).statusCode, 403);
    assert.equal((await api.call('GET', '/api/v1/tokens', { token: auditor })).statusCode, 403, 'token names are not for auditors');

    assert.equal((await issue(operator)).statusCode, 201);
    assert.equal((await api.call('POST', `/api/v1/devices/${deviceId}/suspend`, { token: operator })).statusCode, 200);
    assert.equal((await api.call('DELETE', '/api/v1/profiles/sensor', { token: operator })).statusCode, 403);
    assert.equal((await api.call('POST', '/api/v1/cas/import-root', { token: operator, body: { name: 'x-root', certificatePem: 'x' } })).statusCode, 403);

    const [event] = await api.audit({ action: 'device.suspend', outcome: 'success' });
    assert.equal(event.actor, 'token:operator-roles', 'the app records who acted');
  });

  it('a header in another scheme than Bearer is refused with a hint', async () => {
    const response = await api.call('GET', '/api/v1/devices', { token: null, headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } });
    assert.equal(response.statusCode, 401);
    assert.match(errorOf(response).message, /Bearer <token>/);
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="fleetpki"');
  });

  it('public routes need no token; every /api/v1 route but the OpenAPI document does', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/ca/fleet-root.pem', '/api/v1/openapi.json']) {
      assert.equal((await api.call('GET', url, { token: null })).statusCode, 200, url);
    }
    const paths = Object.keys((await api.call('GET', '/api/v1/openapi.json')).json().paths).filter((p) => p.startsWith('/api/v1/'));
    for (const path of paths) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const response = await api.call('GET', url, { token: null });
      // Routes without a GET answer 404 before authentication; every GET one refuses.
      assert.ok(response.statusCode === 401 || response.statusCode === 404, `${url}: ${response.statusCode}`);
    }
  });

  it('never writes a bearer token to the log; a server error shows a generic message, its cause only in the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // A CA registry that fails the way a broken disk would, to provoke a 500.
    const failing = { byName: () => Promise.reject(new Error('disk on fire at /var/lib/fleetpki')) } as unknown as typeof api.fleet.ctx.cas;
    const app = await buildApi({ ...api.fleet.ctx, cas: failing, log: pino({ level: 'trace' }, sink) });
    const secret = await api.token('operator', 'log-probe');
    try {
      await app.inject({ method: 'GET', url: '/api/v1/devices', headers: { authorization: `Bearer ${secret}` } });
      await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${secret}` }, payload: { name: 'x', role: 'admin' } });
      await app.inject({ method: 'GET', url: '/api/v1/devices', headers: { authorization: `Bearer ${secret}x` } });
      const created = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${api.fleet.adminToken}` }, payload: { name: 'logged-maybe', role: 'auditor' } });
      const broken = await app.inject({ method: 'GET', url: '/ca/devices-production.cer' });
      assert.equal(broken.statusCode, 500);
      assert.equal(errorOf(broken).code, 'internal_error');
      assert.ok(!broken.body.includes('disk on fire'), 'no internals in the answer');
      assert.equal(errorOf(broken).details?.requestId, broken.headers['x-request-id']);
      const log = lines.join('');
      assert.ok(log.includes('disk on fire'), 'the cause is in the log');
      assert.ok(lines.length > 5, 'requests were logged');
      assert.ok(log.includes('"reqId"'), 'with their request id');
      assert.ok(!log.includes(secret), 'the token is not in the log');
      assert.ok(!log.includes(api.fleet.adminToken));
      assert.ok(!log.includes(created.json().token), 'nor a newly created token');
    } finally {
      await app.close();
    }
  });

  it('keeps a plain X-Request-Id from the caller and makes one otherwise', async () => {
    const given = await api.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(given.headers['x-request-id'], 'trace-42');
    const made = await api.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('a route that declares no permission cannot be registered, so it cannot end up public by mistake', async () => {
    const app = Fastify();
    const build = async () => {
      await app.register(async (scope) => {
        requireAuth(scope, api.fleet.ctx);
        scope.get('/forgotten', async () => 'secret');
      });
      await app.ready();
    };
    await assert.rejects(build, /GET \/forgotten declares no permission/);
    await app.close();
  });
});
