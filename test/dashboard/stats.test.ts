// The overview's figures: counted by the database, per UTC day for the expiry timeline, and
// through the indexes, so that a million certificates are never read row by row.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { newId } from '../../src/ids.ts';
import { opensslCsr } from '../helpers/context.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';

const DAY_MS = 86_400_000;

describe('fleet statistics', () => {
  let api: ApiHarness;
  let issuerId: string;
  const now = Date.now();
  const today = new Date(now).toISOString().slice(0, 10);
  const dayAfter = (days: number) => new Date(Date.parse(`${today}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

  /** Rows with chosen expiry times, beside the real certificates: the aggregation is what is tested here. */
  async function certificateExpiring(notAfter: Date, status: 'valid' | 'revoked' | 'on_hold' = 'valid'): Promise<void> {
    const id = newId();
    await api.fleet.ctx.db.insertInto('certificates').values({
      id, issuer_id: issuerId, serial_hex: id.replace(/-/g, ''), subject: 'CN=stats', sans: '[]', key_type: 'ec-p256',
      spki_sha256: id, fingerprint_sha256: id, not_before: new Date(now - DAY_MS).toISOString(), not_after: notAfter.toISOString(),
      renew_after: notAfter.toISOString(), status, revocation_reason: status === 'valid' ? null : 'superseded',
      revoked_at: status === 'valid' ? null : new Date(now).toISOString(), profile: 'sensor', device_id: null, replaces_id: null,
      der: Buffer.from([0]), created_at: new Date(now).toISOString(),
    }).execute();
  }

  before(async () => {
    api = await openApi();
    issuerId = (await api.fleet.ctx.cas.byName('devices-production')).row.id;
    const active = await api.device();
    await api.device(); // stays registered
    const suspended = await api.device();
    await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId: active } });
    await api.call('POST', `/api/v1/devices/${suspended}/suspend`);
    // Real sensor certificate: 30 days. Added rows: 2 expired but still valid, 3 on day +2,
    // 1 on day +10, 1 on day +89, 1 beyond the window, 1 revoked and 1 held on day +2.
    await certificateExpiring(new Date(now - 3 * DAY_MS));
    await certificateExpiring(new Date(now - 60_000));
    for (let i = 0; i < 3; i++) await certificateExpiring(new Date(`${dayAfter(2)}T0${i}:30:00.000Z`));
    await certificateExpiring(new Date(`${dayAfter(10)}T12:00:00.000Z`));
    await certificateExpiring(new Date(`${dayAfter(89)}T23:59:59.000Z`));
    await certificateExpiring(new Date(`${dayAfter(90)}T00:00:00.000Z`));
    await certificateExpiring(new Date(`${dayAfter(2)}T12:00:00.000Z`), 'revoked');
    await certificateExpiring(new Date(`${dayAfter(2)}T13:00:00.000Z`), 'on_hold');
  });
  after(() => api.close());

  it('summary: devices and certificates by status, valid certificates by time to expiry', async () => {
    const response = await api.call('GET', '/api/v1/stats/summary', { token: await api.token('auditor') });
    assert.equal(response.statusCode, 200, response.body);
    const summary = response.json();
    assert.deepEqual(summary.devices, { registered: 1, active: 1, suspended: 1, decommissioned: 0, total: 3 });
    assert.deepEqual(summary.certificates, { valid: 9, on_hold: 1, revoked: 1, total: 11 });
    // within 7 days: the three on day +2; within 30: also day +10 and the issued 30-day
    // sensor certificate; within 90: also day +89 and midnight of day +90 (before now + 90 days).
    assert.equal(summary.validCertificatesExpiring.expired, 2);
    assert.equal(summary.validCertificatesExpiring.within7Days, 3);
    assert.equal(summary.validCertificatesExpiring.within30Days, 5);
    assert.equal(summary.validCertificatesExpiring.within90Days, 7);
  });

  it('expiry timeline: one entry per UTC day from today, zeros included, valid certificates only', async () => {
    const response = await api.call('GET', '/api/v1/stats/expiry-timeline?days=90');
    assert.equal(response.statusCode, 200, response.body);
    const timeline = response.json();
    assert.equal(timeline.days, 90);
    assert.equal(timeline.items.length, 90);
    assert.equal(timeline.items[0].date, today);
    assert.equal(timeline.items[89].date, dayAfter(89));
    const on = (day: string) => timeline.items.find((i: { date: string }) => i.date === day).count;
    assert.equal(on(dayAfter(2)), 3, 'revoked and held certificates do not expire as a task');
    assert.equal(on(dayAfter(10)), 1);
    assert.equal(on(dayAfter(89)), 1, 'the last day of the window is in');
    assert.equal(on(today), 0, 'already expired ones are not on today');
    const [issued] = (await api.call('GET', '/api/v1/certificates?profile=sensor&status=valid&q=device')).json().items;
    assert.equal(on(issued.notAfter.slice(0, 10)), 1, 'the issued 30-day certificate, on its day');
    assert.equal(timeline.total, timeline.items.reduce((sum: number, i: { count: number }) => sum + i.count, 0));
    assert.equal(timeline.total, 6);
  });

  it('the window is bounded: 1 to 366 days', async () => {
    assert.equal((await api.call('GET', '/api/v1/stats/expiry-timeline?days=7')).json().items.length, 7);
    for (const days of ['0', '367', 'x']) {
      const response = await api.call('GET', `/api/v1/stats/expiry-timeline?days=${days}`);
      assert.equal(response.statusCode, 400, days);
      assert.match(errorOf(response).message, /query\.days/);
    }
  });

  it('needs a token or a session', async () => {
    assert.equal((await api.call('GET', '/api/v1/stats/summary', { token: null })).statusCode, 401);
  });

  it('SQLite answers the expiry queries from the (status, not_after) index, never by scanning the table', async () => {
    const plan = async (query: string) => {
      const { rows } = await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(api.fleet.ctx.db);
      return rows.map((r) => r.detail).join(' | ');
    };
    const from = new Date(now).toISOString();
    const to = new Date(now + 90 * DAY_MS).toISOString();
    const perDay = await plan(`select substr(not_after, 1, 10) as day, count(*) from certificates where status = 'valid' and not_after >= '${from}' and not_after < '${to}' group by day`);
    assert.match(perDay, /SEARCH certificates USING COVERING INDEX certificates_status_not_after_idx \(status=\? AND not_after>\? AND not_after<\?\)/);
    const byStatus = await plan('select status, count(*) from certificates group by status');
    assert.match(byStatus, /COVERING INDEX certificates_status_(not_after|id)_idx/, 'the status count reads the index, not the rows with their DER');
    assert.match(await plan('select status, count(*) from devices group by status'), /COVERING INDEX devices_status_idx/);
  });
});
