// The lifecycle from the command line, as real processes: `lifecycle run` (its webhook reaches
// a receiver that checks the signature), `lifecycle status`, `alert list|show|ack`; then
// `serve` runs every job on its schedule and stops cleanly on SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { opensslCsr } from '../helpers/context.ts';
import { cli, cliEnv, MAIN, NODE, parsed, ROOT, tempDir } from '../cli/run.ts';
import { startReceiver, WEBHOOK_SECRET, type Receiver } from './helpers.ts';

const dir = tempDir('fleetpki-lc-cli-');
const configFile = join(dir, 'fleetpki.json');
let receiver: Receiver;
let certId: string;

const run = (...args: string[]) => cli(['--config', configFile, '--data-dir', dir, ...args]);
const json = async (...args: string[]) => parsed(await run(...args, '--json'), args.join(' '));

before(async () => {
  receiver = await startReceiver(() => new Date());
  writeFileSync(join(dir, 'webhook-secret'), WEBHOOK_SECRET);
  const lifecycle = { tickSeconds: 1, webhooks: [{ name: 'ops', url: receiver.url, secretFile: join(dir, 'webhook-secret') }] };
  writeFileSync(configFile, JSON.stringify({ lifecycle }));
  assert.equal((await run('init')).code, 0);
  const deviceId = (await json('device', 'create', '--serial', 'LC-1', '--class', 'sensor', '--environment', 'production')).id;
  const csr = join(dir, 'device.csr');
  writeFileSync(csr, opensslCsr(dir).pem);
  const issued = await run('cert', 'issue', '--csr', csr, '--profile', 'sensor', '--device', deviceId, '--out', join(dir, 'device.pem'));
  certId = /issued certificate (\S+)/.exec(issued.stderr)![1];
  await json('cert', 'revoke', certId, '--reason', 'certificateHold');
});

after(async () => {
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fleetpki lifecycle and alert', () => {
  let alertId: string;

  test('lifecycle run raises the alert and its signed webhook arrives once', async () => {
    const result = await json('lifecycle', 'run', 'drift');
    assert.deepEqual([result.outcome, result.counts], ['success', { found: 1, opened: 1, resolved: 0 }]);
    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.ok(request.verified);
    assert.equal(request.json.alert.subject, `certificate:${certId}`);
    alertId = request.json.alert.id;
    const human = await run('lifecycle', 'run', 'drift');
    assert.match(human.stdout, /^drift: success {2}found=1 opened=0 resolved=0$/m);
    assert.equal(receiver.received.length, 1, 'found again, not sent again');
  });

  test('lifecycle status lists every job with its last run; an unknown job is refused', async () => {
    const human = await run('lifecycle', 'status');
    assert.match(human.stdout, /^JOB\s+EVERY\s+STATE/m);
    const names = human.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]);
    assert.deepEqual(names, ['expiry', 'renewal-due', 'renewal-failed', 'orphans', 'drift', 'crl-refresh', 'webhook-delivery']);
    assert.match(human.stdout, /^drift\s+3600s\s+idle\s+\S+\s+\S+\s+\S+\s+success\s+found=1 opened=0 resolved=0$/m);
    const unknown = await run('lifecycle', 'run', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no lifecycle job named nope/);
  });

  test('alert list, show and ack', async () => {
    const list = await run('alert', 'list');
    assert.match(list.stdout, new RegExp(`^${alertId}\\s+warning\\s+open\\s+drift.held-on-active-device\\s+certificate:${certId}`, 'm'));
    const shown = await run('alert', 'show', alertId);
    assert.match(shown.stdout, /^ops\s+alert.opened\s+delivered\s+1\s+204/m);
    const acked = await json('alert', 'ack', alertId, '--note', 'lab unit');
    assert.equal(acked.state, 'acknowledged');
    const again = await run('alert', 'ack', alertId);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already acknowledged/);
  });

  test('serve runs every job on its schedule and stops cleanly on SIGTERM', async () => {
    const child = spawn(NODE, [MAIN, '--config', configFile, 'serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--est-listen', '127.0.0.1:0'], { cwd: ROOT, env: cliEnv() });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 20 s:\n${stderr}`)), 20_000);
        child.stderr.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]), clearTimeout(timer);
        });
      });
      const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
      let jobs: Array<{ name: string; lastRun: { holder: string; trigger: string; outcome: string } | null }> = [];
      for (let i = 0; i < 100; i++) {
        const response = await fetch(`${url}/api/v1/lifecycle/jobs`, { headers: { authorization: `Bearer ${token}` } });
        const status = (await response.json()) as { jobs: typeof jobs };
        jobs = status.jobs;
        if (jobs.every((j) => j.name === 'drift' || j.lastRun?.trigger === 'schedule')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // drift was run by the CLI within the hour: the server's scheduled run waits for its next_run_at.
      for (const job of jobs) assert.deepEqual([job.name, job.lastRun?.trigger, job.lastRun?.outcome], [job.name, job.name === 'drift' ? 'manual' : 'schedule', 'success']);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopped \(SIGTERM\)/);
    assert.equal(receiver.received.length, 1, 'nothing new to announce');
  });
});
