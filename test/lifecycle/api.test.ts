// The REST side of the lifecycle as the dashboard and scripts use it: run a job, read the
// jobs' status, list and filter alerts, page through them, acknowledge one (operate, audited).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { issue } from './helpers.ts';

const configDir = mkdtempSync(join(tmpdir(), 'fleetpki-lc-api-'));
let api: ApiHarness;
let operator: string;
let auditor: string;
const held: string[] = [];

before(async () => {
  const file = join(configDir, 'fleetpki.json');
  writeFileSync(file, JSON.stringify({ lifecycle: { jobs: { drift: { intervalSeconds: 600 } } } }));
  api = await openApi({ config: file });
  operator = await api.token('operator');
  auditor = await api.token('auditor');
  // Two certificates on hold on active devices: two drift alerts.
  for (let i = 0; i < 2; i++) {
    const cert = await issue(api.fleet, await api.device(), 'sensor');
    await revokeCertificate(api.fleet.ctx, cert.id, 'certificateHold', 'test');
    held.push(cert.id);
  }
});

after(async () => {
  await api?.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('lifecycle REST API', () => {
  test('an operator runs a job now; an auditor may not', async () => {
    const refused = await api.call('POST', '/api/v1/lifecycle/jobs/drift/run', { token: auditor });
    assert.equal(refused.statusCode, 403);
    const response = await api.call('POST', '/api/v1/lifecycle/jobs/drift/run', { token: operator });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.outcome, 'success');
    assert.deepEqual(body.counts, { found: 2, opened: 2, resolved: 0 });
    const [event] = await api.audit({ action: 'lifecycle.run' });
    assert.equal(event.target, 'job:drift');
    assert.equal(event.details.run, body.runId);
    const unknown = await api.call('POST', '/api/v1/lifecycle/jobs/nope/run');
    assert.equal(unknown.statusCode, 404);
    assert.match(errorOf(unknown).message, /no lifecycle job named nope; jobs: expiry, renewal-due/);
  });

  test('the jobs status shows the lease and the last run', async () => {
    const response = await api.call('GET', '/api/v1/lifecycle/jobs', { token: auditor });
    assert.equal(response.statusCode, 200, response.body);
    const drift = response.json().jobs.find((j: { name: string }) => j.name === 'drift');
    assert.equal(drift.intervalSeconds, 600);
    assert.equal(drift.running, false);
    assert.equal(drift.lastRun.outcome, 'success');
    assert.equal(drift.lastRun.trigger, 'manual');
    assert.equal(Date.parse(drift.lease.nextRunAt) - Date.parse(drift.lastRun.startedAt), 600_000);
  });

  test('alerts are listed newest first, filtered and paged', async () => {
    const all = (await api.call('GET', '/api/v1/alerts', { token: auditor })).json();
    // Opened by one pass, in the same millisecond: their order between themselves is not defined.
    assert.deepEqual(all.items.map((a: { subject: string }) => a.subject).sort(), held.map((id) => `certificate:${id}`).sort());
    assert.ok(all.items.every((a: { kind: string; severity: string; state: string }) => a.kind === 'drift.held-on-active-device' && a.severity === 'warning' && a.state === 'open'));
    const first = (await api.call('GET', '/api/v1/alerts?limit=1')).json();
    assert.equal(first.items.length, 1);
    const second = (await api.call('GET', `/api/v1/alerts?limit=1&before=${first.nextCursor}`)).json();
    assert.deepEqual([second.items[0].id, second.nextCursor], [all.items[1].id, null]);
    assert.equal((await api.call('GET', '/api/v1/alerts?severity=critical')).json().items.length, 0);
    assert.equal((await api.call('GET', '/api/v1/alerts?state=resolved')).json().items.length, 0);
    assert.equal((await api.call('GET', `/api/v1/alerts?subject=certificate:${held[0]}`)).json().items.length, 1);
    const bad = await api.call('GET', '/api/v1/alerts?state=closed');
    assert.equal(bad.statusCode, 400);
    assert.match(errorOf(bad).message, /query.state must be one of open, acknowledged, resolved, active/);
  });

  test('acknowledging needs operate, is audited, and is refused twice', async () => {
    const [alert] = (await api.call('GET', '/api/v1/alerts')).json().items;
    assert.equal((await api.call('POST', `/api/v1/alerts/${alert.id}/ack`, { token: auditor })).statusCode, 403);
    const response = await api.call('POST', `/api/v1/alerts/${alert.id}/ack`, { token: operator, body: { note: 'investigating' } });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().state, 'acknowledged');
    assert.match(response.json().acknowledgedBy, /^token:operator-/);
    const again = await api.call('POST', `/api/v1/alerts/${alert.id}/ack`, { token: operator });
    assert.equal(again.statusCode, 409);
    const [event] = await api.audit({ action: 'alert.ack', outcome: 'success' });
    assert.deepEqual([event.target, event.details.note, event.details.kind], [`alert:${alert.id}`, 'investigating', 'drift.held-on-active-device']);
    const detail = (await api.call('GET', `/api/v1/alerts/${alert.id}`)).json();
    assert.deepEqual([detail.state, detail.deliveries], ['acknowledged', []]);
    assert.equal((await api.call('GET', '/api/v1/alerts/0000')).statusCode, 404);
    assert.equal((await api.call('GET', '/api/v1/alerts?state=active')).json().items.length, 2, 'acknowledged alerts are still active');
  });

  test('releasing a hold clears its alert at the next run', async () => {
    assert.equal((await api.call('POST', `/api/v1/certificates/${held[0]}/release`)).statusCode, 200);
    const run = (await api.call('POST', '/api/v1/lifecycle/jobs/drift/run')).json();
    assert.deepEqual(run.counts, { found: 1, opened: 0, resolved: 1 });
    const [resolved] = (await api.call('GET', '/api/v1/alerts?state=resolved')).json().items;
    assert.equal(resolved.subject, `certificate:${held[0]}`);
    assert.ok(resolved.resolvedAt);
  });
});
