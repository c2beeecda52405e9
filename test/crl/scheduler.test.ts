// Keeping CRLs current: a burst of revocations is one regeneration, CRLs are re-signed before
// nextUpdate, expired partitions and entries go, the gateway files are replaced atomically
// and the reload command runs, and stop() leaves no timer behind.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAudit } from '../../src/app/audit.ts';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { newId } from '../../src/ids.ts';
import { listCrlMeta } from '../../src/revocation/crl-rows.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { insertCertificate } from '../../src/store/repos/certificates.ts';
import { parseCrl } from '../../src/x509/crl.ts';
import { openTestFleet, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { crlDpOf, issueDevice, verifyWithCrls } from './harness.ts';

const HOUR = 3_600_000;
const crlPartitionOf = (pem: string) => /\/([^/]+)\.crl$/.exec(crlDpOf(pem))![1];

async function signEvents(fleet: TestFleet, ca: string) {
  return (await listAudit(fleet.ctx, { action: 'crl.sign', target: `ca:${ca}` }, { limit: 1000 })).items;
}

async function until(condition: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('CRL scheduler', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet();
  });
  after(() => fleet?.close());

  it('a burst of revocations is one regeneration, and stop() leaves no timer running', async () => {
    const before = timers();
    fleet.ctx.config.crl.debounceMs = 1_000; // wide enough for a loaded CI machine to fit the burst in
    const scheduler = new CrlScheduler(fleet.ctx);
    await scheduler.start();
    const certs = await Promise.all(Array.from({ length: 12 }, () => issueDevice(fleet)));
    const signedBefore = (await signEvents(fleet, 'devices-production')).length;
    await Promise.all(certs.map((c) => revokeCertificate(fleet.ctx, c.row.id, 'cessationOfOperation', 'test')));
    const full = async () => parseCrl((await crlService(fleet.ctx).current('devices-production', 'full')).der);
    await until(async () => (await full()).entries.length === 12, 'the full CRL lists all twelve');
    // One regeneration for the burst: the certificates' partitions, then the full CRL.
    const events = (await signEvents(fleet, 'devices-production')).slice(0, -signedBefore); // newest first
    assert.deepEqual(events.map((e) => [...(e.details.partitions as string[])].sort()).reverse(), [[...new Set(certs.map((c) => crlPartitionOf(c.pem)))].sort(), ['full']]);
    await scheduler.stop();
    assert.equal(timers(), before, 'no timer left');
  });

  it('stored CRLs are re-signed refreshBeforeHours ahead of nextUpdate, not earlier', async () => {
    const service = crlService(fleet.ctx);
    const stored = await listCrlMeta(fleet.ctx.db);
    assert.ok(stored.length > 4);
    const now = Date.now();
    assert.equal(await service.sweep(new Date(now + HOUR)), false, 'nothing due an hour later');
    assert.equal(await service.sweep(new Date(now + 17 * HOUR)), true, 'due with 7 of 24 hours left');
    const resigned = await listCrlMeta(fleet.ctx.db);
    for (const meta of stored) {
      const after = resigned.find((m) => m.ca_id === meta.ca_id && m.partition === meta.partition)!;
      assert.ok(after.crl_number > meta.crl_number, `${meta.partition} re-signed with a higher number`);
      assert.equal(Date.parse(after.next_update), Math.floor((now + 17 * HOUR) / 1000) * 1000 + 24 * HOUR);
    }
  });

  it('expired certificates stay one CRL period past notAfter, then leave; an expired partition is dropped', async () => {
    const ca = await fleet.ctx.cas.byName('devices-production');
    const row = (serial: string, notAfter: Date) => ({
      id: newId(), issuer_id: ca.row.id, serial_hex: serial, subject: 'CN=old', sans: '[]', key_type: 'ec-p256', spki_sha256: serial, fingerprint_sha256: serial,
      not_before: new Date(notAfter.getTime() - 30 * 24 * HOUR).toISOString(), not_after: notAfter.toISOString(), renew_after: notAfter.toISOString(),
      status: 'revoked' as const, revocation_reason: 'superseded', revoked_at: new Date(notAfter.getTime() - 24 * HOUR).toISOString(), profile: 'sensor', device_id: null, replaces_id: null,
      der: Buffer.from([0x30, 0]), created_at: new Date().toISOString(),
    });
    const now = new Date();
    await insertCertificate(fleet.ctx.db, row('0a1b2c3d4e5f0001', new Date(now.getTime() - HOUR)));
    await insertCertificate(fleet.ctx.db, row('0a1b2c3d4e5f0002', new Date(now.getTime() - 25 * HOUR)));
    const [crl] = await crlService(fleet.ctx).regenerate(ca, { full: true, partitions: [] }, now);
    const serials = parseCrl(crl.der).entries.map((e) => e.serialHex);
    assert.ok(serials.includes('0a1b2c3d4e5f0001'), 'expired an hour ago: still listed');
    assert.ok(!serials.includes('0a1b2c3d4e5f0002'), 'expired more than a CRL period ago: left out');

    const later = new Date(now.getTime() + 500 * 24 * HOUR);
    await crlService(fleet.ctx).sweep(later);
    const left = (await listCrlMeta(fleet.ctx.db, ca.row.id)).map((m) => m.partition);
    assert.deepEqual(left, ['full'], 'every partition of this fleet has expired 500 days later');
    assert.equal((await listAudit(fleet.ctx, { action: 'crl.expire', target: 'ca:devices-production' }, { limit: 10 })).items.length, 1);
  });
});

describe('publication for gateways', () => {
  let fleet: TestFleet;
  let scratch: string;
  let publishDir: string;
  let marker: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'fleetpki-publish-'));
    publishDir = join(scratch, 'gateway');
    marker = join(scratch, 'reloads');
    const config = join(scratch, 'fleetpki.json');
    const reload = [process.execPath, '-e', `require('node:fs').appendFileSync(${JSON.stringify(marker)}, 'reload\\n')`];
    writeFileSync(config, JSON.stringify({ crl: { publishDir, reloadCommand: reload, debounceMs: 50 } }));
    fleet = await openTestFleet({ config });
  });
  after(async () => {
    await fleet?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes the CA bundle and every CA’s full CRL, which openssl -crl_check_all accepts, then runs the reload command', async () => {
    const good = await issueDevice(fleet);
    const revoked = await issueDevice(fleet);
    const scheduler = new CrlScheduler(fleet.ctx);
    await scheduler.start();
    assert.deepEqual(readdirSync(publishDir).sort(), ['ca-bundle.pem', 'code-signing.crl.pem', 'crls.pem', 'devices-lab.crl.pem', 'devices-production.crl.pem', 'fleet-root.crl.pem']);
    // The bundle is what the gateway trusts for client certificates: not the code-signing CA (test/crl/bundle.test.ts).
    assert.equal(readFileSync(join(publishDir, 'ca-bundle.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 3);
    assert.equal(readFileSync(join(publishDir, 'crls.pem'), 'utf8').match(/BEGIN X509 CRL/g)?.length, 4);
    assert.equal(readFileSync(marker, 'utf8'), 'reload\n');

    const chain = await writeChainFiles(fleet);
    const bundle = { root: join(publishDir, 'ca-bundle.pem'), intermediate: chain.intermediate };
    const crls = [join(publishDir, 'crls.pem')];
    assert.ok(verifyWithCrls(bundle, revoked.certFile, crls, true).ok, 'not revoked yet');

    await revokeCertificate(fleet.ctx, revoked.row.id, 'keyCompromise', 'test');
    await until(async () => readFileSync(marker, 'utf8') === 'reload\nreload\n', 'the second reload');
    await scheduler.stop();
    assert.match(verifyWithCrls(bundle, revoked.certFile, crls, true).output, /certificate revoked/);
    assert.ok(verifyWithCrls(bundle, good.certFile, crls, true).ok);
    assert.ok(!readdirSync(publishDir).some((f) => f.includes('.tmp-')), 'no temp files left');
    assert.ok(existsSync(join(publishDir, 'devices-production.crl.pem')));
  });
});
