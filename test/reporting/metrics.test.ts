// /metrics as Prometheus reads it: the exposition text parsed back, the inventory gauges with
// the values the fleet should give, issuance decisions counted from the audit log (REST
// successes and a refusal, an EST request refused by its authoriser), lifecycle job runs (the
// 24-hour gauge from the table, the counter of this process's runs), and the cache that keeps
// a scrape from recounting within its interval.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { registerInventoryMetrics } from '../../src/api/inventory-metrics.ts';
import { IssuanceCounter } from '../../src/reporting/issuance-counter.ts';
import { startEstServer } from '../../src/est/server.ts';
import { newId } from '../../src/ids.ts';
import type { Job } from '../../src/lifecycle/jobs/job.ts';
import { runJob } from '../../src/lifecycle/runner.ts';
import { createLifecycle } from '../../src/lifecycle/service.ts';
import { openApi, type ApiHarness } from '../api/harness.ts';
import { opensslCsr, writeChainFiles } from '../helpers/context.ts';
import { certificateRow } from '../store/fixtures.ts';
import { parseExposition } from './exposition.ts';

const DAY = 86_400_000;

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

/** Samples from a registry of its own that recounts on every read (no cache between steps). */
async function freshSamples(): Promise<Map<string, number>> {
  const registry = new Registry();
  registerInventoryMetrics(registry, api.fleet.ctx, 0);
  return parseExposition(await registry.metrics());
}

before(async () => {
  // The EST listener is started only by the last test: its TLS identity is a certificate, which would change the counts above it.
  api = await openApi({ estListen: '127.0.0.1:0' });
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

test('issuance counts asked for concurrently (every gauge of an uncached scrape) count each audit event once', async () => {
  const counter = new IssuanceCounter();
  const totals = await Promise.all(Array.from({ length: 6 }, () => counter.update(api.fleet.ctx.db)));
  const success = (t: Awaited<ReturnType<IssuanceCounter['update']>>) => t.find((r) => r.action === 'certificate.issue' && r.outcome === 'success')?.value;
  assert.deepEqual(totals.map(success), Array(6).fill(2));
});

test('fleetpki_job_runs_total counts the runs this process ran, by outcome, beside the 24-hour gauge', async () => {
  // Stand-ins under built-in names (the gauge reads only those), so that nothing real runs.
  const ok: Job = { name: 'renewal-due', description: 'test', run: async () => ({ done: 1 }) };
  const failing: Job = { name: 'drift', description: 'test', run: async () => Promise.reject(new Error('broken on purpose')) };
  const lc = createLifecycle(api.fleet.ctx, { instanceId: 'metrics-test', jobs: [ok, failing] });
  const counter = async () => {
    const m = parseExposition((await api.call('GET', '/metrics', { token: null })).body);
    return [m.get('fleetpki_job_runs_total{job="renewal-due",outcome="success"}'), m.get('fleetpki_job_runs_total{job="drift",outcome="error"}')];
  };
  assert.deepEqual(await counter(), [undefined, undefined]);
  for (const job of [ok, ok, failing]) assert.equal((await runJob(lc, job, 'manual')).ran, true);
  // Read at scrape time, never from the 15-second cache: the /metrics registry shows the runs at once.
  assert.deepEqual(await counter(), [2, 1]);
  const m = await freshSamples();
  assert.equal(m.get('fleetpki_job_runs_total{job="renewal-due",outcome="error"}'), undefined);
  // Runs written to job_runs by anyone else (here: the rows inserted above) are the gauge's, not this counter's.
  assert.equal(m.get('fleetpki_job_runs_total{job="expiry",outcome="success"}'), undefined);
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="expiry",outcome="success"}'), 2);
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="renewal-due",outcome="success"}'), 2);
  assert.equal(m.get('fleetpki_job_runs_last_24h{job="drift",outcome="error"}'), 1);
});

/** An EST simpleenroll with HTTP Basic credentials, from this process. */
function estEnroll(url: string, root: string, secret: string, csrPem: string): Promise<number> {
  const body = csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Promise((resolve, reject) => {
    const req = request(`${url}/sensor/simpleenroll`, {
      method: 'POST',
      ca: readFileSync(root),
      agent: false,
      headers: { 'content-type': 'application/pkcs10', authorization: `Basic ${Buffer.from(`x:${secret}`).toString('base64')}` },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('an EST request refused by its authoriser (unknown bootstrap token) raises the refused count of its operation', async () => {
  const est = await startEstServer(api.fleet.ctx);
  try {
    const { root } = await writeChainFiles(api.fleet);
    const refused = 'fleetpki_issuance_decisions_total{action="est.simpleenroll",outcome="refused"}';
    const before = await freshSamples();
    assert.equal(before.get(refused), undefined);
    const issuedBefore = before.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="success"}');
    assert.equal(await estEnroll(est.url, root, 'fpb_not-a-real-token', opensslCsr(api.fleet.dir).pem), 401);
    const afterwards = await freshSamples();
    assert.equal(afterwards.get(refused), 1);
    // Refused before the issuing path: nothing was counted as issued or as a certificate.issue refusal.
    assert.equal(afterwards.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="success"}'), issuedBefore);
    assert.equal(afterwards.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="refused"}'), before.get('fleetpki_issuance_decisions_total{action="certificate.issue",outcome="refused"}'));
  } finally {
    await est.close();
  }
});
