// A revoked IDevID on the CRLs. Its notAfter is 99991231235959Z (IEEE 802.1AR), the month
// 9999-12, which once made full-CRL generation walk month by month towards a year 10000
// that sorts as text before 9999, until the process ran out of memory. Every command runs
// as its own process with a time limit, so such a loop fails this test instead of hanging it.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliEnv, MAIN, NODE, parsed, ROOT, tempDir, type Result } from '../cli/run.ts';

const LIMIT_MS = 60_000;
const dir = tempDir('fleetpki-crl-idevid-');
const dataDir = join(dir, 'data');
const publishDir = join(dir, 'gateway');
const config = join(dir, 'fleetpki.yaml');
writeFileSync(config, `crl:\n  publishDir: ${publishDir}\n`);
const file = (name: string) => join(dir, name);
after(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI, killed after LIMIT_MS: a CRL run that never ends is a failure with a reason. */
function run(...args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, [MAIN, '--data-dir', dataDir, '--config', config, ...args], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, stdout, stderr: signal ? `killed by ${signal} after ${LIMIT_MS} ms (${args.join(' ')})\n${stderr}` : stderr });
    });
  });
}
const json = async (...args: string[]) => parsed(await run(...args, '--json'), args.join(' '));

function idevid(serial: string): Promise<{ id: string; certFile: string; serialHex: string }> {
  const stem = file(serial);
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}.key`, '-subj', '/CN=device', '-out', `${stem}.csr`], { stdio: 'ignore' });
  return (async () => {
    const device = await json('device', 'create', '--serial', serial, '--class', 'sensor', '--environment', 'production');
    const issued = await run('manufacturer', 'issue-idevid', '--ca', 'acme-factory', '--serial', serial, '--csr', `${stem}.csr`, '--out', `${stem}.pem`);
    assert.equal(issued.code, 0, issued.stderr);
    const [cert] = (await json('cert', 'list', '--device', device.id)).items;
    assert.equal(cert.notAfter, '9999-12-31T23:59:59.000Z');
    return { id: device.id, certFile: `${stem}.pem`, serialHex: cert.serial };
  })();
}

function verify(certFile: string, crl: string): string {
  const result = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', file('acme-ca.pem'), '-CRLfile', crl, certFile], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}

describe('a revoked IDevID (notAfter 9999-12-31) on the manufacturer CA’s CRLs', () => {
  let decommissioned: Awaited<ReturnType<typeof idevid>>;
  let revoked: Awaited<ReturnType<typeof idevid>>;
  let kept: Awaited<ReturnType<typeof idevid>>;

  before(async () => {
    assert.equal((await run('init')).code, 0);
    writeFileSync(file('acme-ca.pem'), (await json('manufacturer', 'create-ca', '--name', 'acme-factory', '--organization', 'Acme Devices')).certificatePem);
    [decommissioned, revoked, kept] = [await idevid('ACME-0001'), await idevid('ACME-0002'), await idevid('ACME-0003')];
  });

  test('decommissioning the device and `cert revoke` of an IDevID re-sign the CRLs and return', async () => {
    const gone = await run('device', 'decommission', decommissioned.id, '--reason', 'retired', '--json');
    assert.equal(gone.code, 0, gone.stderr);
    assert.doesNotMatch(gone.stderr, /CRLs not re-signed/);
    assert.equal(JSON.parse(gone.stdout).revoked.length, 1, 'the IDevID is revoked with its device');
    const cert = (await json('cert', 'list', '--device', revoked.id)).items[0];
    const result = await run('cert', 'revoke', cert.id, '--reason', 'keyCompromise');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /CRLs not re-signed/);
  });

  test('`crl generate` finishes, and the full CRL lists both; openssl -crl_check refuses them and accepts the third', async () => {
    const started = Date.now();
    const { items } = await json('crl', 'generate', '--ca', 'acme-factory');
    assert.ok(Date.now() - started < LIMIT_MS);
    assert.equal(items.find((i: any) => i.partition === 'full').entries, 2);
    const crl = file('acme-full.crl');
    assert.equal((await run('crl', 'show', 'acme-factory', '--out', crl)).code, 0);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text'], { encoding: 'utf8' });
    for (const cert of [decommissioned, revoked]) assert.ok(text.includes(`Serial Number: ${cert.serialHex.toUpperCase()}`), `${cert.serialHex} listed:\n${text}`);
    assert.match(text, /Cessation Of Operation/);
    assert.match(text, /Key Compromise/);

    const pem = file('acme-full.crl.pem');
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crl, '-out', pem]);
    assert.match(verify(decommissioned.certFile, pem), /certificate revoked/);
    assert.match(verify(revoked.certFile, pem), /certificate revoked/);
    assert.match(verify(kept.certFile, pem), /: OK\n/);
    // What gateways read: crls.pem carries the manufacturer CA's CRL too.
    assert.match(verify(decommissioned.certFile, join(publishDir, 'crls.pem')), /certificate revoked/);
  });

  test('the partition of the year 9999 holds the IDevID: month 9999-12 is bounded right', async () => {
    const partition = `999912-${decommissioned.serialHex.slice(-1)}`;
    const out = file('acme-9999.crl');
    const shown = await json('crl', 'show', 'acme-factory', '--partition', partition, '--out', out);
    assert.ok(shown.entries >= 1, `partition ${partition} lists the IDevID`);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', out, '-noout', '-text'], { encoding: 'utf8' });
    assert.ok(text.includes(`Serial Number: ${decommissioned.serialHex.toUpperCase()}`));
  });
});
