// The agent against a real EST server, with certificates that live 20 seconds: enrol with a
// bootstrap token, renew on command, and let `run` renew inside the profile's window. What a
// user checks: `openssl verify` on the files the agent leaves, their permissions, and the
// inventory (who holds which certificate, which one replaced which).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { parseCertificate } from '../../src/x509/certificate.ts';
import { agent, daemon, openAgentFleet, PROFILE, provision, type AgentFleet } from './harness.ts';

let fleet: AgentFleet;
before(async () => (fleet = await openAgentFleet()));
after(() => fleet?.close());

function opensslVerify(stateDir: string): string {
  return execFileSync('openssl', ['verify', '-CAfile', join(stateDir, 'ca.pem'), '-untrusted', join(stateDir, 'chain.pem'), '-purpose', 'sslclient', join(stateDir, 'cert.pem')], { encoding: 'utf8' });
}

const certOf = (stateDir: string) => parseCertificate(readFileSync(join(stateDir, 'cert.pem')));

describe('fleetpki-agent with a bootstrap token', () => {
  test('enrol, renew, and renew again inside the window while running', async () => {
    const device = await provision(fleet, 'SN-AGENT-1');
    const state = device.stateDir;
    const enrolled = await agent(['enroll', '--state-dir', state, '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--serial', 'SN-AGENT-1', '--token', device.token, '--renew-after', '0.5', '--jitter', '0']);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(opensslVerify(state), /cert.pem: OK/);
    assert.equal(statSync(state).mode & 0o777, 0o700);
    for (const file of readdirSync(state)) assert.equal(statSync(join(state, file)).mode & 0o777, 0o600, file);
    assert.deepEqual(readdirSync(state).sort(), ['agent.json', 'ca.pem', 'cert.pem', 'chain.pem', 'key.pem', 'renew-after.json']);

    const first = certOf(state);
    assert.match(first.subject, /serialNumber=SN-AGENT-1/);
    // The profile's 20 s, and a backdate of a tenth of it for slow clocks: nothing more.
    assert.equal(first.notAfter.getTime() - first.notBefore.getTime(), 22_000);
    const [row] = await listCertificatesForDevice(fleet.ctx.db, device.device.id);
    assert.equal(row.fingerprint_sha256, first.fingerprintSha256);
    assert.equal(row.profile, PROFILE);

    const firstKey = readFileSync(join(state, 'key.pem'), 'utf8');
    const renewed = await agent(['renew', '--state-dir', state]);
    assert.equal(renewed.code, 0, renewed.stderr);
    const second = certOf(state);
    assert.notEqual(second.serialHex, first.serialHex);
    assert.notEqual(readFileSync(join(state, 'key.pem'), 'utf8'), firstKey, 'a renewal is a re-key');
    assert.equal(second.notAfter.getTime() - second.notBefore.getTime(), 22_000, 'a renewal never lengthens the lifetime');
    assert.match(opensslVerify(state), /OK/);
    const rows = await listCertificatesForDevice(fleet.ctx.db, device.device.id);
    assert.equal(rows[0].fingerprint_sha256, second.fingerprintSha256);
    assert.equal(rows[0].replaces_id, row.id, 'the inventory shows which certificate the renewal replaced');

    const status = await agent(['status', '--state-dir', state, '--json']);
    assert.equal(status.code, 0);
    const report = JSON.parse(status.stdout);
    assert.equal(report.standing, 'valid');
    const renewAt = second.notBefore.getTime() + 11_000;
    assert.equal(Date.parse(report.certificate.renewAt), renewAt);
    assert.equal(report.certificate.renewalPointFrom, 'server');
    assert.equal(report.certificate.renewalPoint, rows[0].renew_after, "the inventory's renew_after, as the server sent it");

    const hookFile = join(state, '..', 'SN-AGENT-1-hook.txt');
    const run = daemon(['--state-dir', state, '--backoff-base', '300', '--backoff-max', '1500', '--on-renew', `echo "$FLEETPKI_AGENT_EVENT $FLEETPKI_AGENT_SERIAL" > ${hookFile}`]);
    try {
      await run.waitFor((l) => l.msg === 'certificate is current', 5_000);
      const meanwhile = await agent(['renew', '--state-dir', state]);
      assert.equal(meanwhile.code, 1, 'a manual renewal does not race the running agent');
      assert.match(meanwhile.stderr, /another fleetpki-agent \(pid \d+\) is working on/);
      const line = await run.waitFor((l) => l.msg === 'certificate renewed', 20_000);
      const third = certOf(state);
      assert.equal(line.serial, third.serialHex);
      assert.ok(Date.now() >= renewAt, 'not renewed before the renewal point');
      assert.ok(Date.now() <= second.notAfter.getTime(), 'renewed before the certificate expired');
      assert.match(opensslVerify(state), /OK/);
      await run.waitFor((l) => l.msg === 'certificate is current', 5_000);
      assert.equal(readFileSync(hookFile, 'utf8').trim(), `renew ${third.serialHex}`);
    } finally {
      assert.equal(await run.stop(), 0, 'SIGTERM stops the agent cleanly');
    }
  });

  test('a used token is refused and nothing is installed', async () => {
    const device = await provision(fleet, 'SN-AGENT-2');
    const args = ['enroll', '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--serial', 'SN-AGENT-2', '--token', device.token];
    assert.equal((await agent(['--state-dir', device.stateDir, ...args])).code, 0);
    const again = await agent(['--state-dir', `${device.stateDir}-again`, ...args]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /refused with 401/);
    assert.deepEqual(readdirSync(`${device.stateDir}-again`).filter((f) => f.startsWith('cert')), []);
  });

  test('a device with only its birth certificate enrols with it; the serial comes from the IDevID', async () => {
    const device = await provision(fleet, 'SN-AGENT-3');
    const result = await agent(['enroll', '--state-dir', device.stateDir, '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--idevid-cert', device.idevidCert, '--idevid-key', device.idevidKey]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(certOf(device.stateDir).subject, /serialNumber=SN-AGENT-3/);
    assert.match(opensslVerify(device.stateDir), /OK/);
  });

  test('a key held behind --key-command: enrolment signs through the command, renewal is authenticated by the IDevID', async () => {
    const device = await provision(fleet, 'SN-AGENT-5');
    const keyFile = join(fleet.dir, 'se-key.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const hook = join(fleet.dir, 'se-hook.sh');
    writeFileSync(hook, `#!/bin/sh\nset -e\ncase "$1" in\n  public-key) openssl pkey -in '${keyFile}' -pubout ;;\n  sign) openssl dgst -"$2" -sign '${keyFile}' | base64 ;;\nesac\n`, { mode: 0o700 });
    const common = ['--state-dir', device.stateDir];
    const enrolled = await agent(['enroll', ...common, '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--token', device.token, '--idevid-cert', device.idevidCert, '--idevid-key', device.idevidKey, '--key-command', hook]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.ok(!readdirSync(device.stateDir).includes('key.pem'), 'the agent never holds the key');
    const spki = createPublicKey(readFileSync(keyFile)).export({ format: 'der', type: 'spki' });
    assert.ok(certOf(device.stateDir).spkiDer.equals(spki), 'the certificate is for the key behind the command');
    const first = certOf(device.stateDir).serialHex;
    const renewed = await agent(['renew', ...common]);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.notEqual(certOf(device.stateDir).serialHex, first);
    assert.ok(certOf(device.stateDir).spkiDer.equals(spki), 'the same key, certified again');
    // Renewed through IDevID simpleenroll, yet recorded as the renewal of the certificate it supersedes.
    const [newest, previous] = (await listCertificatesForDevice(fleet.ctx.db, device.device.id)).filter((c) => c.profile === PROFILE);
    assert.equal(newest.serial_hex, certOf(device.stateDir).serialHex);
    assert.equal(previous.serial_hex, first);
    assert.equal(newest.replaces_id, previous.id);
  });

  test("the renewal point is the server's (Fleetpki-Renew-After), whatever --renew-after says; without it, --renew-after", async () => {
    const device = await provision(fleet, 'SN-AGENT-6');
    const state = device.stateDir;
    // The profile renews after half the lifetime; the flag says 0.9.
    const enrolled = await agent(['enroll', '--state-dir', state, '--server', fleet.server, '--ca', fleet.rootFile, '--label', PROFILE, '--serial', 'SN-AGENT-6', '--token', device.token, '--renew-after', '0.9', '--jitter', '0']);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const [row] = await listCertificatesForDevice(fleet.ctx.db, device.device.id).then((rows) => rows.filter((c) => c.profile === PROFILE));
    const status = async () => JSON.parse((await agent(['status', '--state-dir', state, '--json'])).stdout).certificate;
    const fromServer = await status();
    assert.equal(fromServer.renewAt, row.renew_after);
    assert.equal(fromServer.renewalPointFrom, 'server');
    assert.equal(Date.parse(row.renew_after), Date.parse(row.not_before) + 11_000, 'the profile: half of 22 s');

    // An agent enrolled by an older server, or a lost file: the setting decides.
    rmSync(join(state, 'renew-after.json'));
    const fromSettings = await status();
    assert.equal(Date.parse(fromSettings.renewAt), Date.parse(row.not_before) + 0.9 * 22_000);
    assert.equal(fromSettings.renewalPointFrom, 'settings');
    // A point outside the certificate's lifetime is not believed either.
    writeFileSync(join(state, 'renew-after.json'), JSON.stringify({ [row.fingerprint_sha256]: '2000-01-01T00:00:00.000Z' }));
    assert.equal((await status()).renewalPointFrom, 'settings');
  });

  test('a server whose certificate does not chain to the pinned CA is not trusted', async () => {
    const device = await provision(fleet, 'SN-AGENT-4');
    const result = await agent(['enroll', '--state-dir', device.stateDir, '--server', fleet.server, '--ca', device.idevidCert, '--label', PROFILE, '--serial', 'SN-AGENT-4', '--token', device.token]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not trusted by the pinned CA bundle \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/);
  });
});
