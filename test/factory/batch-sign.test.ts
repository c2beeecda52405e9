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
  const serials = [...Array.from({ length: 9 }, (_, i) => `GW-${i}`), 'LOT 9', 'LOT_9'];
  writeFileSync(join(dir, 'devices.csv'), `serial,class,environment\n${serials.map((s) => `${s},gateway,production`).join('\n')}\n`);
  assert.equal((await pki.run('device', 'import', join(dir, 'devices.csv'))).code, 0);
  mkdirSync(csrs);
  for (let i = 0; i < 6; i++) csr(`GW-${i}`, `/serialNumber=GW-${i}`);
  csr('line3-slot7', '/CN=no serial in here');
  csr('unknown', '/serialNumber=GW-404');
  writeFileSync(join(csrs, 'garbage.csr'), 'not a CSR\n');
});

async function certificateIdsOf(serial: string): Promise<string[]> {
  const device = (await pki.json('device', 'list', '--q', serial)).items.find((d: { externalSerial: string }) => d.externalSerial === serial);
  return (await pki.json('cert', 'list', '--device', device.id)).items.map((c: { id: string }) => c.id);
}

/** The newest batch.sign audit events, newest first. */
async function batchEvents(limit: number) {
  return (await pki.json('audit', 'list', '--action', 'batch.sign', '--limit', String(limit))).items;
}

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
    const [event] = await batchEvents(1);
    assert.equal(event.outcome, 'success');
    assert.deepEqual({ total: event.details.total, signed: event.details.signed, outDir: event.details.outDir }, { total: 9, signed: 7, outDir: out });
    assert.deepEqual(event.details.failed, report.failed.map((f: { csr: string; reason: string }) => ({ csr: f.csr, reason: f.reason })));
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
    assert.equal((await certificateIdsOf('GW-0')).length, 1, 'refused before issuing: no second certificate for GW-0');
  });

  test('two CSRs for one device, or for serials that share a file name: the first is signed, the other refused before issuing', async () => {
    const dups = join(dir, 'dups');
    mkdirSync(dups);
    const make = (name: string, subject: string) =>
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', subject, '-out', join(dups, `${name}.csr`)], { stdio: 'ignore' });
    make('a-first', '/serialNumber=GW-8');
    make('b-again', '/serialNumber=GW-8');
    make('c-space', '/serialNumber=LOT 9');
    // `_` cannot be in a PrintableString serialNumber: the manifest names this one's device.
    make('d-underscore', '/CN=lot 9 with an underscore');
    writeFileSync(join(dir, 'dups.json'), JSON.stringify({ 'd-underscore.csr': 'LOT_9' }));
    const out = join(dir, 'out-dups');
    const result = await pki.run('batch', 'sign', '--csr', dups, '--profile', 'gateway', '--manifest', join(dir, 'dups.json'), '--out', out, '--json');
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.signed.map((s: { csr: string; file: string }) => [s.csr, s.file]), [['a-first.csr', 'GW-8.pem'], ['c-space.csr', 'LOT_9.pem']]);
    assert.deepEqual(report.failed.map((f: { csr: string; serial: string }) => [f.csr, f.serial]), [['b-again.csr', 'GW-8'], ['d-underscore.csr', 'LOT_9']]);
    assert.match(report.failed[0].reason, /^duplicate in this batch: it is for the same device \(serial GW-8\) as a-first\.csr/);
    assert.match(report.failed[1].reason, /^duplicate in this batch: its serial LOT_9 gives the same file name \(LOT_9\.pem\) as c-space\.csr \(serial LOT 9\)/);
    assert.deepEqual(readdirSync(out).sort(), ['GW-8.pem', 'LOT_9.pem', 'ca.pem', 'manifest.json']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest, { signed: report.signed, failed: report.failed });
    // Nothing was issued for the refused ones: each device holds only what the folder holds.
    assert.deepEqual(await certificateIdsOf('GW-8'), [report.signed[0].certificateId]);
    assert.deepEqual(await certificateIdsOf('LOT 9'), [report.signed[1].certificateId]);
    assert.deepEqual(await certificateIdsOf('LOT_9'), []);
    const file = join(out, 'GW-8.pem');
    assert.match(execFileSync('openssl', ['x509', '-in', file, '-noout', '-serial'], { encoding: 'utf8' }), new RegExp(`serial=${report.signed[0].certificateSerial}`, 'i'));
    const [event] = await batchEvents(1);
    assert.equal(event.outcome, 'success');
    assert.equal(event.details.outDir, out);
    assert.equal(event.details.total, 4);
    assert.equal(event.details.signed, 2);
    assert.deepEqual(event.details.failed.map((f: { csr: string }) => f.csr), ['b-again.csr', 'd-underscore.csr']);
  });
});
