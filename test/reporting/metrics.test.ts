// /metrics as Prometheus reads it: the exposition text parsed back, the inventory gauges with
// the values the fleet should give, issuance decisions counted from the audit log (REST
// successes and a refusal), lifecycle job runs, and the cache that keeps a scrape from
// recounting within its interval.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { registerInventoryMetrics } from '../../src/api/inventory-metrics.ts';
import { newId } from '../../src/ids.ts';
import { openApi, type ApiHarness } from '../api/harness.ts';
import { opensslCsr } from '../helpers/context.ts';
import { certificateRow } from '../store/fixtures.ts';

const DAY = 86_400_000;

/** name{labels} -> value, from the text exposition format (HELP/TYPE comments skipped). */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels = (match[2] ?? '').replace(/^\{|\}$/g, '').split(',').filter(Boolean).sort().join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : match[1], Number(match[3]));
  }
  return samples;
}

let api: ApiHarness;
let issuerId: string;
const now = Date.now();

async function insert(deviceId: string, daysLeft: number, status: 'valid' | 'revoked' | 'on_hold' = 'valid') {
  const notAfter = now + daysLeft * DAY;
  await api.fleet.ctx.db
    .insertInto('certificates')
    .values(certificateRow(issuerId, { id: newId(), device_id: deviceId, profile: 'gateway', status, not_before: new Date(notAfter - 90 * DAY).toISOString(), not_after: new Date(notAfter).toISOString() }))
    .execute();
}

before(async () => {
  api = await openApi();
  issuerId = (await api.fleet.ctx.cas.byName('devices-production')).row.id;
  const deviceId = await api.device({ criticality: 'high' });
  for (let i = 0; i < 2; i++) {
    const { pem } = opensslCsr(api.fleet.dir);
    const issued = await api.call('POST', '/api/v1/certificates', { body: { csr: pem, profile: 'gateway', deviceId } });
    assert.equal(issued.statusCode, 201, issued.body);
  }
  const refused = await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'no-such-profile', deviceId } });
  assert.equal(refused.statusCode, 400);
  await insert(deviceId, 0.5);
  await insert(deviceId, 5);
  await insert(deviceId, 20);
  await insert(deviceId, -3);
  await insert(deviceId, 10, 'on_hold');
  await insert(deviceId, 10, 'revoked');
  const run = (job: string, outcome: string, hoursAgo: number) => ({
    id: newId(), job, holder: 'test', trigger: 'schedule', started_at: new Date(now - hoursAgo * 3_600_000).toISOString(), ended_at: null, outcome, counts: '{}', error: null,
  });
  await api.fleet.ctx.db.insertInto('job_runs').values([run('expiry', 'success', 2), run('expiry', 'success', 1), run('orphans', 'error', 1), run('expiry', 'error', 30)] as never).execute();
});
after(() => api?.close());

test('/metrics carries the inventory gauges with the fleet\'s values', async () => {
  const response = await api.call('GET', '/metrics', { token: null });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  const m = parseExposition(response.body);
  // Two issued through REST (90 days), four inserted valid ones of which one expired, one held, one revoked.
  assert.equal(m.get('fleetpki_certificates{state="valid"}'), 5);
  assert.equal(m.get('fleetpki_certificates{state="expired"}'), 1);
  assert.equal(m.get('fleetpki_certificates{state="on_hold"}'), 1);
  assert.equal(m.get('fleetpki_certificates{state="revoked"}'), 1);
  assert.equal(m.get('fleetpki_certificates_expiring{within="1d"}'), 1);
  assert.equal(m.get('fleetpki_certificates_expiring{within="7d"}'), 2);
  assert.equal(m.get('fleetpki_certificates_expiring{within="30d"}'), 3);
  assert.equal(m.get('fleetpki_devices{status="active"}'), 1);
  assert.equal(m.get('fleetpki_devices{status="decommissioned"}'), 0);
  assert.equal(m.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="success"}'), 2);
  assert.equal(m.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="refused"}'), 1);
  // The REST counters beside them agree.
  assert.equal(m.get('fleetpki_certificates_issued_total'), 2);
  // Runs of the last 24 hours only: the expiry error 30 hours ago is not counted.
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="expiry",outcome="success"}'), 2);
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="orphans",outcome="error"}'), 1);
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="expiry",outcome="error"}'), undefined);
  assert.equal(m.get('fleetpki_job_last_success_timestamp_seconds{job="expiry"}'), (now - 3_600_000) / 1000);
  assert.ok(response.body.includes('# TYPE fleetpki_ocsp_responses_total counter'));
});

test('a scrape within the interval is answered from the cache; after it, recounted', async () => {
  const registry = new Registry();
  registerInventoryMetrics(registry, api.fleet.ctx, 60_000);
  const expiring = async () => parseExposition(await registry.metrics()).get('fleetpki_certificates_expiring{within="30d"}');
  const first = await expiring();
  await insert((await api.fleet.ctx.db.selectFrom('devices').select('id').executeTakeFirstOrThrow()).id, 2);
  assert.equal(await expiring(), first, 'counted again within the interval');
  const fresh = new Registry();
  registerInventoryMetrics(fresh, api.fleet.ctx, 0);
  assert.equal(parseExposition(await fresh.metrics()).get('fleetpki_certificates_expiring{within="30d"}'), (first ?? 0) + 1);
});
