// Batch signing as a factory or an air-gapped site does it, through the CLI: CSRs made by
// openssl in, a folder of certificates out that `openssl verify` accepts, each one in the
// inventory with its device, and the CSRs that could not be signed listed with the reason.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { cli, fleet, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-batch-');
const data = join(dir, 'data');
const pki = fleet(data);
const csrs = join(dir, 'csrs');

function csr(name: string, subject: string): void {
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', subject, '-out', join(csrs, `${name}.csr`)], { stdio: 'ignore' });
}

before(async () => {
  assert.equal((await cli(['init', '--data-dir', data])).code, 0);
  writeFileSync(join(dir, 'devices.csv'), `serial,class,environment\n${Array.from({ length: 8 }, (_, i) => `GW-${i},gateway,production`).join('\n')}\n`);
  assert.equal((await pki.run('device', 'import', join(dir, 'devices.csv'))).code, 0);
  mkdirSync(csrs);
  for (let i = 0; i < 6; i++) csr(`GW-${i}`, `/serialNumber=GW-${i}`);
  csr('line3-slot7', '/CN=no serial in here');
  csr('unknown', '/serialNumber=GW-404');
  writeFileSync(join(csrs, 'garbage.csr'), 'not a CSR\n');
});

describe('batch sign', () => {
  test('signs every CSR it can, writes a verifiable folder, records each certificate', async () => {
    writeFileSync(join(dir, 'manifest.csv'), 'file,serial\nline3-slot7.csr,GW-7\n');
    const out = join(dir, 'out');
    const result = await pki.run('batch', 'sign', '--csr', csrs, '--profile', 'gateway', '--manifest', join(dir, 'manifest.csv'), '--out', out, '--json');
    assert.equal(result.code, 1, 'some CSRs were refused');
    const report = JSON.parse(result.stdout);
    assert.equal(report.total, 9);
    assert.deepEqual(report.signed.map((s: { serial: string }) => s.serial).sort(), ['GW-0', 'GW-1', 'GW-2', 'GW-3', 'GW-4', 'GW-5', 'GW-7']);
    assert.deepEqual(
      report.failed.map((f: { csr: string; reason: string }) => [f.csr, f.reason.replace(/:.*/, '')]),
      [['garbage.csr', 'the CSR is neither PEM nor DER'], ['unknown.csr', 'no device with serial GW-404']],
    );
    assert.deepEqual(readdirSync(out).sort(), ['GW-0.pem', 'GW-1.pem', 'GW-2.pem', 'GW-3.pem', 'GW-4.pem', 'GW-5.pem', 'GW-7.pem', 'ca.pem', 'manifest.json']);
    const inventory = new Map((await pki.json('cert', 'list', '--profile', 'gateway')).items.map((c: { id: string }) => [c.id, c]));
    for (const signed of report.signed) {
      const file = join(out, signed.file);
      assert.match(execFileSync('openssl', ['verify', '-CAfile', join(out, 'ca.pem'), '-untrusted', file, file], { encoding: 'utf8' }), /OK/);
      const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-subject', '-serial'], { encoding: 'utf8' });
      assert.match(text, new RegExp(`serialNumber ?= ?${signed.serial}`));
      assert.match(text, new RegExp(`serial=${signed.certificateSerial}`, 'i'));
      assert.equal((inventory.get(signed.certificateId) as { deviceId: string }).deviceId, signed.deviceId, 'in the inventory, with its device');
    }
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).failed, report.failed);
  });

  test('a bundle of PEM CSRs in one file; an existing certificate file is never overwritten', async () => {
    csr('GW-6', '/serialNumber=GW-6');
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, ['GW-0', 'GW-6'].map((n) => readFileSync(join(csrs, `${n}.csr`), 'utf8')).join(''));
    const out = join(dir, 'out');
    const result = await pki.run('batch', 'sign', '--csr', bundle, '--profile', 'gateway', '--out', out, '--json');
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.signed.map((s: { csr: string }) => s.csr), ['bundle.pem#2']);
    assert.match(report.failed[0].reason, /GW-0.pem is already in the output folder/);
  });
});
