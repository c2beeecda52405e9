// People's sign-in for the dashboard: scrypt-hashed passwords, server-side sessions behind an
// HttpOnly SameSite=Strict cookie, CSRF tokens on every state-changing cookie request, roles
// enforced by the server, and every refused sign-in in the audit log.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { disableUser } from '../../src/app/users.ts';
import { opensslCsr } from '../helpers/context.ts';
import { errorOf } from '../api/harness.ts';
import { openDashboard, PASSWORD, type DashboardHarness } from './harness.ts';

describe('dashboard sessions', () => {
  let d: DashboardHarness;
  let operator: string;
  let auditor: string;
  before(async () => {
    d = await openDashboard();
    operator = await d.user('operator', 'olivia');
    auditor = await d.user('auditor', 'audra');
  });
  after(() => d.close());

  /** A device with one certificate, made with the admin token. */
  async function deviceWithCertificate(): Promise<{ deviceId: string; certificateId: string }> {
    const deviceId = await d.device();
    const issued = await d.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(d.fleet.dir).pem, profile: 'sensor', deviceId } });
    assert.equal(issued.statusCode, 201, issued.body);
    return { deviceId, certificateId: issued.json().certificate.id };
  }

  it('passwords are stored as scrypt with a salt of their own, never as given', async () => {
    const rows = await d.fleet.ctx.db.selectFrom('users').select(['username', 'password_hash']).where('username', 'in', [operator, auditor]).execute();
    assert.equal(rows.length, 2);
    const [a, b] = rows.map((r) => r.password_hash.split('$'));
    assert.deepEqual(a.slice(0, 4), ['scrypt', '15', '8', '3'], 'scheme and cost travel with the hash');
    assert.notEqual(a[4], b[4], 'same password, different salts');
    assert.notEqual(a[5], b[5], 'so different hashes');
    assert.equal(Buffer.from(a[4], 'base64').length, 16);
    for (const r of rows) assert.ok(!r.password_hash.includes(PASSWORD));
  });

  it('signing in sets an HttpOnly, SameSite=Strict session cookie for the API, not Secure over plain http', async () => {
    const response = await d.signIn(operator);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.kind, 'session');
    assert.equal(body.name, operator);
    assert.equal(body.role, 'operator');
    assert.deepEqual(body.permissions, ['read', 'operate']);
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /^fleetpki_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\/api\/v1/);
    assert.match(cookie, /; Expires=/);
    assert.doesNotMatch(cookie, /Secure/);
  });

  it('the store keeps only the hash of the session id', async () => {
    const session = await d.session(operator);
    const id = session.cookie.split('=')[1];
    const rows = await d.fleet.ctx.db.selectFrom('sessions').selectAll().execute();
    assert.ok(rows.some((r) => r.id_hash === createHash('sha256').update(id).digest('hex')));
    assert.ok(!rows.some((r) => Object.values(r).includes(id)), 'the id itself is nowhere');
  });

  it('GET /session answers who the cookie belongs to, with the same CSRF token', async () => {
    const session = await d.session(auditor);
    const who = await d.asUser(session, 'GET', '/api/v1/session');
    assert.equal(who.statusCode, 200, who.body);
    assert.equal(who.json().name, auditor);
    assert.deepEqual(who.json().permissions, ['read']);
    assert.equal(who.json().csrfToken, session.csrf);
    const token = await d.call('GET', '/api/v1/session');
    assert.equal(token.json().kind, 'token');
    assert.equal(token.json().csrfToken, null, 'bearer tokens need no CSRF token');
  });

  it('a state-changing request with the cookie but without the CSRF token is refused and audited', async () => {
    const { certificateId } = await deviceWithCertificate();
    const session = await d.session(operator);
    const missing = await d.asUser(session, 'POST', `/api/v1/certificates/${certificateId}/revoke`);
    assert.equal(missing.statusCode, 403);
    assert.match(errorOf(missing).message, /CSRF token/);
    const wrong = await d.asUser(session, 'POST', `/api/v1/certificates/${certificateId}/revoke`, { csrf: 'x'.repeat(43) });
    assert.equal(wrong.statusCode, 403);
    const other = await d.session(auditor);
    const foreign = await d.asUser(session, 'POST', `/api/v1/certificates/${certificateId}/revoke`, { csrf: other.csrf });
    assert.equal(foreign.statusCode, 403, "another session's token is not this one's");
    const still = await d.call('GET', `/api/v1/certificates/${certificateId}`);
    assert.equal(still.json().status, 'valid', 'nothing was revoked');
    const [event] = await d.audit({ action: 'api.auth', outcome: 'refused', actor: `user:${operator}` });
    assert.match(String(event.details.reason), /CSRF/);

    const done = await d.asUser(session, 'POST', `/api/v1/certificates/${certificateId}/revoke`, { csrf: true, body: { reason: 'keyCompromise' } });
    assert.equal(done.statusCode, 200, done.body);
    const [revoked] = await d.audit({ action: 'certificate.revoke', outcome: 'success' });
    assert.equal(revoked.actor, `user:${operator}`, 'the audit log names the person');
  });

  it('reads with the cookie need no CSRF token; requests with a bearer token never do', async () => {
    const session = await d.session(operator);
    assert.equal((await d.asUser(session, 'GET', '/api/v1/devices')).statusCode, 200);
    const deviceId = await d.device();
    const suspended = await d.call('POST', `/api/v1/devices/${deviceId}/suspend`, { token: await d.token('operator') });
    assert.equal(suspended.statusCode, 200, suspended.body);
  });

  it('an auditor is refused with 403 even with a valid CSRF token', async () => {
    const { deviceId, certificateId } = await deviceWithCertificate();
    const session = await d.session(auditor);
    for (const url of [`/api/v1/certificates/${certificateId}/revoke`, `/api/v1/devices/${deviceId}/suspend`, `/api/v1/devices/${deviceId}/decommission`]) {
      const response = await d.asUser(session, 'POST', url, { csrf: true });
      assert.equal(response.statusCode, 403, url);
      assert.match(errorOf(response).message, /auditor role may not operate/);
    }
    assert.equal((await d.call('GET', `/api/v1/certificates/${certificateId}`)).json().status, 'valid');
  });

  it('a wrong password, an unknown user and a disabled account get the same answer, and each is audited', async () => {
    const disabled = await d.user('operator', 'gone');
    await disableUser(d.fleet.ctx, disabled, 'test');
    const attempts = [
      [operator, 'not the password at all', 'wrong password'],
      ['nobody', PASSWORD, 'no such user'],
      [disabled, PASSWORD, 'account disabled'],
    ] as const;
    for (const [username, password, reason] of attempts) {
      const response = await d.signIn(username, password);
      assert.equal(response.statusCode, 401, username);
      assert.equal(errorOf(response).message, 'wrong username or password');
      assert.equal(response.headers['set-cookie'], undefined);
      const [event] = (await d.audit({ action: 'session.sign-in', outcome: 'refused' })).filter((e) => e.target === `user:${username}`);
      assert.equal(event.details.reason, reason);
      assert.equal(event.actor, 'anonymous');
    }
    const [success] = await d.audit({ action: 'session.sign-in', outcome: 'success' });
    assert.equal(success.actor, `user:${auditor}`);
  });

  it('signing out ends the session on the server: the old cookie is refused', async () => {
    const session = await d.session(operator);
    const withoutCsrf = await d.asUser(session, 'DELETE', '/api/v1/session');
    assert.equal(withoutCsrf.statusCode, 403, 'signing out changes state too');
    const out = await d.asUser(session, 'DELETE', '/api/v1/session', { csrf: true });
    assert.equal(out.statusCode, 204, out.body);
    assert.match(String(out.headers['set-cookie']), /fleetpki_session=;.*Expires=Thu, 01 Jan 1970/);
    const replay = await d.asUser(session, 'GET', '/api/v1/devices');
    assert.equal(replay.statusCode, 401);
    assert.match(errorOf(replay).message, /session has ended/);
    assert.equal((await d.audit({ action: 'session.sign-out' }))[0].actor, `user:${operator}`);
  });

  it('an expired or idle session is refused and removed', async () => {
    const expired = await d.session(operator);
    const idle = await d.session(operator);
    const hash = (s: { cookie: string }) => createHash('sha256').update(s.cookie.split('=')[1]).digest('hex');
    const db = d.fleet.ctx.db;
    await db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id_hash', '=', hash(expired)).execute();
    await db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000).toISOString() }).where('id_hash', '=', hash(idle)).execute();
    for (const session of [expired, idle]) {
      const response = await d.asUser(session, 'GET', '/api/v1/devices');
      assert.equal(response.statusCode, 401);
      assert.match(errorOf(response).message, /expired/);
      assert.equal(await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', hash(session)).executeTakeFirst(), undefined);
    }
  });

  it('disabling a user ends its sessions at once', async () => {
    const username = await d.user('operator');
    const session = await d.session(username);
    assert.equal((await d.asUser(session, 'GET', '/api/v1/devices')).statusCode, 200);
    const { sessionsEnded } = await disableUser(d.fleet.ctx, username, 'test');
    assert.equal(sessionsEnded, 1);
    assert.equal((await d.asUser(session, 'GET', '/api/v1/devices')).statusCode, 401);
  });

  it('asking whether anyone is signed in, with no credentials at all, is a 401 without an audit event', async () => {
    const before = (await d.audit({ action: 'api.auth' })).length;
    const probe = await d.call('GET', '/api/v1/session', { token: null });
    assert.equal(probe.statusCode, 401);
    assert.equal((await d.audit({ action: 'api.auth' })).length, before, 'the dashboard asks this on every visit');
    const badToken = await d.call('GET', '/api/v1/session', { token: 'fpk_wrong' });
    assert.equal(badToken.statusCode, 401);
    const ended = await d.call('GET', '/api/v1/session', { token: null, headers: { cookie: 'fleetpki_session=not-a-session' } });
    assert.equal(ended.statusCode, 401);
    assert.equal((await d.audit({ action: 'api.auth' })).length, before + 2, 'a wrong token or an unknown session is audited');
    assert.equal((await d.call('GET', '/api/v1/devices', { token: null })).statusCode, 401);
    assert.equal((await d.audit({ action: 'api.auth' })).length, before + 3, 'other routes audit anonymous requests as before');
  });

  it('a bearer token wins over a cookie, and sign-in needs no token', async () => {
    const session = await d.session(auditor);
    const response = await d.call('GET', '/api/v1/session', { headers: { cookie: session.cookie } });
    assert.equal(response.json().kind, 'token');
    const signOutWithToken = await d.call('DELETE', '/api/v1/session', { body: {} });
    assert.equal(signOutWithToken.statusCode, 400);
  });
});

describe('dashboard sessions behind HTTPS', () => {
  it('the cookie is Secure when the public URL is https', async () => {
    const d = await openDashboard({ publicUrl: 'https://pki.example.com' });
    try {
      const username = await d.user('operator');
      const response = await d.signIn(username);
      assert.match(String(response.headers['set-cookie']), /; Secure/);
    } finally {
      await d.close();
    }
  });
});
