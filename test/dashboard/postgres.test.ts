// The dashboard's tables and aggregates on PostgreSQL: users, sessions, the summary and the
// per-day timeline give the same answers as on SQLite. Skipped with the reason when
// FLEETPKI_TEST_PG_URL names no server that answers.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { opensslCsr } from '../helpers/context.ts';
import { postgresCase, type EngineCase } from '../store/engines.ts';
import { openDashboard, type DashboardHarness } from './harness.ts';

const pg: EngineCase = await postgresCase();
if (pg.skip) console.log(`# skipping the dashboard on PostgreSQL: ${pg.skip}`);

describe('dashboard on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let d: DashboardHarness;
  before(async () => {
    d = await openDashboard({ db: pg.url });
  });
  after(async () => {
    await d?.close();
    await pg.cleanup();
  });

  it('signs a person in, keeps the session, checks CSRF, signs out', async () => {
    const username = await d.user('operator');
    const session = await d.session(username);
    const deviceId = await d.device();
    assert.equal((await d.asUser(session, 'POST', `/api/v1/devices/${deviceId}/suspend`)).statusCode, 403);
    assert.equal((await d.asUser(session, 'POST', `/api/v1/devices/${deviceId}/suspend`, { csrf: true })).statusCode, 200);
    assert.equal((await d.asUser(session, 'DELETE', '/api/v1/session', { csrf: true })).statusCode, 204);
    assert.equal((await d.asUser(session, 'GET', '/api/v1/session')).statusCode, 401);
  });

  it('counts by status and per UTC day in SQL', async () => {
    const deviceId = await d.device();
    const issued = await d.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(d.fleet.dir).pem, profile: 'sensor', deviceId } });
    assert.equal(issued.statusCode, 201, issued.body);
    const summary = (await d.call('GET', '/api/v1/stats/summary')).json();
    assert.deepEqual(summary.devices, { registered: 0, active: 1, suspended: 1, decommissioned: 0, total: 2 });
    assert.equal(summary.certificates.valid, 1);
    assert.equal(summary.validCertificatesExpiring.within30Days, 1);
    const timeline = (await d.call('GET', '/api/v1/stats/expiry-timeline?days=40')).json();
    const day = issued.json().certificate.notAfter.slice(0, 10);
    assert.deepEqual(timeline.items.filter((i: { count: number }) => i.count > 0), [{ date: day, count: 1 }]);
  });
});
