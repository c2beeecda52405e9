// The agent when the server is away: it backs off (growing delays, capped), renews as soon as
// the server is back, and if its certificate expired meanwhile it never uses it again but
// enrols afresh with its birth certificate (IDevID) instead of being stranded. Two fleets,
// one per story, run side by side to keep the wall time to one certificate lifetime.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listAudit } from '../../src/app/audit.ts';
import { listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { parseCertificate } from '../../src/x509/certificate.ts';
import { agent, daemon, openAgentFleet, PROFILE, provision, type AgentFleet, type LogLine } from './harness.ts';

const fleets: AgentFleet[] = [];
after(() => Promise.all(fleets.map((f) => f.close())));

async function enrolled(serial: string) {
  const fleet = await openAgentFleet();
  fleets.push(fleet);
  const device = await provision(fleet, serial);
  const result = await agent(['enroll', '--state-dir', device.stateDir, '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--token', device.token, '--idevid-cert', device.idevidCert, '--idevid-key', device.idevidKey, '--renew-after', '0.5', '--jitter', '0']);
  assert.equal(result.code, 0, result.stderr);
  return { fleet, device, cert: () => parseCertificate(readFileSync(join(device.stateDir, 'cert.pem'))) };
}

const failed = (kind: string) => (l: LogLine) => l.msg === `${kind} failed; trying again later`;

function opensslVerify(stateDir: string): string {
  return execFileSync('openssl', ['verify', '-CAfile', join(stateDir, 'ca.pem'), '-untrusted', join(stateDir, 'chain.pem'), join(stateDir, 'cert.pem')], { encoding: 'utf8' });
}

describe('server down', { concurrency: 2 }, () => {
  test('backs off while the server is down and renews when it returns, before expiry', async () => {
    const { fleet, device, cert } = await enrolled('SN-DOWN-1');
    const before = cert();
    await fleet.stopEst();
    const run = daemon(['--state-dir', device.stateDir, '--backoff-base', '400', '--backoff-max', '1600']);
    try {
      for (let i = 0; i < 3; i++) await run.waitFor(failed('renew'), 15_000);
      const delays = run.lines.filter(failed('renew')).map((l) => l.retryInMs as number);
      assert.deepEqual(run.lines.filter(failed('renew')).map((l) => l.attempt), [1, 2, 3]);
      assert.ok(delays[0] >= 200 && delays[0] <= 400 && delays[2] >= 800 && delays[2] <= 1600, `delays grow from the base: ${delays}`);
      assert.match(String(run.lines.find(failed('renew'))!.error), /cannot reach/);
      await fleet.startEst();
      await run.waitFor((l) => l.msg === 'certificate renewed', 5_000);
      assert.ok(Date.now() < before.notAfter.getTime(), 'renewed before the old certificate ran out');
      assert.notEqual(cert().serialHex, before.serialHex);
      assert.match(opensslVerify(device.stateDir), /OK/);
    } finally {
      await run.stop();
    }
  });

  test('after expiry the old certificate is never used again; the IDevID enrols the device afresh', async () => {
    const { fleet, device, cert } = await enrolled('SN-DOWN-2');
    const expired = cert();
    await fleet.stopEst();
    const run = daemon(['--state-dir', device.stateDir, '--backoff-base', '400', '--backoff-max', '1600']);
    try {
      await run.waitFor(failed('rebootstrap'), 30_000);
      assert.ok(Date.now() > expired.notAfter.getTime(), 're-bootstrap only once the certificate has expired');
      const status = await agent(['status', '--state-dir', device.stateDir, '--json']);
      assert.equal(status.code, 1, 'an expired certificate is a failing status');
      assert.equal(JSON.parse(status.stdout).standing, 'expired');
      await run.waitFor(failed('rebootstrap'), 5_000);
      const firstRebootstrap = run.lines.findIndex(failed('rebootstrap'));
      assert.ok(!run.lines.slice(firstRebootstrap).some(failed('renew')), 'no renewal is tried with an expired certificate');

      await fleet.startEst();
      const line = await run.waitFor((l) => l.msg === 're-bootstrapped with the IDevID', 5_000);
      const fresh = cert();
      assert.equal(line.serial, fresh.serialHex);
      assert.ok(fresh.notAfter > new Date());
      assert.match(opensslVerify(device.stateDir), /OK/);
      const [row] = await listCertificatesForDevice(fleet.ctx.db, device.device.id);
      assert.equal(row.fingerprint_sha256, fresh.fingerprintSha256);
      const issued = (await listAudit(fleet.ctx, { action: 'certificate.issue', outcome: 'success' }, { limit: 10 })).items;
      assert.ok(issued.some((e) => e.actor === 'est:idevid:SN-DOWN-2' && e.target === `certificate:${row.id}`), 'the audit names the birth certificate as the credential');
    } finally {
      await run.stop();
    }
  });
});
