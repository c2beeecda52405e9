// The compliance summary flags what an auditor asks about, per device class, on SQLite and
// (when FLEETPKI_TEST_PG_URL answers) PostgreSQL: a key shared by two devices, a lifetime
// longer than the profile allows, a device without an owner, a second enrolment beside a
// live certificate (while a renewal overlap is fine), keys outside the profile, an issuer
// that is no longer an active CA, an adopted certificate that is self-signed RSA-1024 (while
// an adopted manufacturer certificate passes); a class issued through the real path is compliant.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApi } from '../../src/api/server.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { importBundle } from '../../src/discovery/import.ts';
import { resolveFinding } from '../../src/discovery/resolve.ts';
import { newId } from '../../src/ids.ts';
import { complianceReport, type ClassCompliance } from '../../src/reporting/compliance.ts';
import { postgresCase, sqliteCase, type EngineCase } from '../store/engines.ts';
import { caRow } from '../store/fixtures.ts';
import { cli } from '../cli/run.ts';
import { fingerprint, leafFrom, selfSigned, testCa, type Made } from '../discovery/fixtures.ts';
import { openReportingFleet, type ReportingFleet } from './fleet.ts';

for (const engineCase of [sqliteCase, postgresCase]) {
  describe(`compliance summary (${engineCase.name.replace('Case', '')})`, async () => {
    const engine: EngineCase = await engineCase();
    const now = new Date();
    let fleet: ReportingFleet;
    const ids: Record<string, string> = {};
    let meters: ClassCompliance;
    let clean: ClassCompliance;
    let edge: ClassCompliance;
    let cameras: ClassCompliance;

    /** Imported as an operator's file would be, then adopted into the device through its finding. */
    async function adopt(made: Made, deviceId: string): Promise<string> {
      const run = await importBundle(fleet.ctx, Buffer.from(made.pem), 'camera-export.pem', {}, 'test');
      assert.equal(run.status, 'completed', run.error ?? '');
      const finding = await fleet.ctx.db
        .selectFrom('discovery_findings as f')
        .innerJoin('discovered_certificates as c', 'c.id', 'f.certificate_id')
        .select(['f.id', 'c.id as certificateId'])
        .where('c.fingerprint_sha256', '=', fingerprint(made.pem))
        .executeTakeFirstOrThrow();
      await resolveFinding(fleet.ctx, finding.id, { action: 'adopt', deviceId }, 'test');
      return finding.certificateId;
    }

    before(async () => {
      if (engine.skip) return;
      // SQLite in the fleet's own data dir, so the CLI finds it with --data-dir.
      fleet = await openReportingFleet(now, engine.engine === 'postgres' ? { db: engine.url } : {});
      // Cameras with certificates from elsewhere: one self-signed RSA-1024, one from a registered
      // manufacturer (P-256). Imported before the fixture CA row below, whose DER discovery cannot read.
      const maker = testCa(fleet.dir, '/O=Acme Cameras/CN=Acme Camera CA');
      await addManufacturer(fleet.ctx, 'acme-cameras', maker.pem, 'test');
      const [camA, camB, camC] = await Promise.all([1, 2, 3].map(() => fleet.device({ deviceClass: 'camera' })));
      ids.adoptedWeak = await adopt(selfSigned(fleet.dir, 'camera-a', ['-newkey', 'rsa:1024']), camA.id);
      ids.adoptedGood = await adopt(leafFrom(fleet.dir, maker, 'camera-b'), camB.id);
      // Expired and adopted: not live, not counted.
      const old = selfSigned(fleet.dir, 'camera-c', ['-newkey', 'rsa:1024'], 1);
      ids.adoptedExpired = await adopt(old, camC.id);
      await fleet.ctx.db.updateTable('discovered_certificates').set({ not_after: new Date(now.getTime() - 1000).toISOString() }).where('id', '=', ids.adoptedExpired).execute();
      const meter = () => fleet.device({ deviceClass: 'meter' });
      const [a, b, c, d, e, f, g] = await Promise.all([meter(), meter(), meter(), meter(), meter(), meter(), meter()]);
      const shared = 'ab'.repeat(32);
      ids.sharedA = (await fleet.insert(a.id, 30, { spki_sha256: shared })).id;
      ids.sharedB = (await fleet.insert(b.id, 30, { spki_sha256: shared })).id;
      ids.tooLong = (await fleet.insert(c.id, 30, { lifetimeDays: 120 })).id;
      ids.ownerless = (await fleet.device({ deviceClass: 'meter', owner: null })).id;
      await fleet.insert(d.id, 60);
      ids.secondEnrolment = d.id;
      await fleet.insert(d.id, 80);
      const renewed = await fleet.insert(e.id, 10);
      await fleet.insert(e.id, 85, { replaces_id: renewed.id });
      ids.weak = (await fleet.insert(f.id, 50, { key_type: 'rsa-1024' })).id;
      ids.ed25519 = (await fleet.insert(g.id, 50, { key_type: 'ed25519' })).id;
      const retired = caRow({ id: newId(), status: 'retired', kind: 'issuing' });
      await fleet.ctx.db.insertInto('cas').values(retired).execute();
      ids.retiredIssuer = (await fleet.insert(g.id, 40, { issuer_id: retired.id, profile: 'tls-server' })).id;
      await fleet.insert(g.id, -5); // expired: not live, never counted
      const tidy = await fleet.device({ deviceClass: 'clean' });
      await fleet.issue(tidy.id, 'gateway');
      // Exactly the longest lifetime the RA gives a gateway certificate (90 days and the minute
      // of backdate), at forty different seconds: float date arithmetic must not tip one over.
      const atLimit = await fleet.device({ deviceClass: 'edge' });
      for (let i = 0; i < 40; i++) {
        const notBefore = Math.floor(now.getTime() / 1000) * 1000 - 86_400_000 + i * 7_919_000;
        const notAfter = notBefore + (90 * 86_400 + 60) * 1000;
        await fleet.insert(atLimit.id, 30, { not_before: new Date(notBefore).toISOString(), not_after: new Date(notAfter).toISOString() });
      }
      const report = await complianceReport(fleet.ctx.db, fleet.ctx.store.engine, now);
      cameras = report.classes.find((k) => k.deviceClass === 'camera')!;
      meters = report.classes.find((k) => k.deviceClass === 'meter')!;
      clean = report.classes.find((k) => k.deviceClass === 'clean')!;
      edge = report.classes.find((k) => k.deviceClass === 'edge')!;
    });
    after(async () => {
      await fleet?.close();
      await engine.cleanup();
    });

    test('a key shared by two devices fails uniqueKey for both certificates', { skip: engine.skip }, () => {
      assert.equal(meters.checks.uniqueKey.failing, 2);
      assert.deepEqual([...meters.checks.uniqueKey.examples].sort(), [ids.sharedA, ids.sharedB].sort());
    });

    test('a 120-day certificate under the 90-day gateway profile fails lifetime', { skip: engine.skip }, () => {
      assert.deepEqual(meters.checks.lifetime, { failing: 1, unit: 'certificates', examples: [ids.tooLong] });
    });

    test('a device without an owner fails owner', { skip: engine.skip }, () => {
      assert.deepEqual(meters.checks.owner, { failing: 1, unit: 'devices', examples: [ids.ownerless] });
    });

    test('two unlinked live certificates of one profile fail; a renewal overlap does not', { skip: engine.skip }, () => {
      assert.deepEqual(meters.checks.oneCurrentPerProfile, { failing: 1, unit: 'devices', examples: [ids.secondEnrolment] });
    });

    test('rsa-1024, and ed25519 under a profile that allows only EC and RSA, fail keyPolicy', { skip: engine.skip }, () => {
      assert.equal(meters.checks.keyPolicy.failing, 2);
      assert.deepEqual([...meters.checks.keyPolicy.examples].sort(), [ids.weak, ids.ed25519].sort());
      assert.equal(meters.keyTypes['rsa-1024'], 1);
    });

    test('a certificate from a retired CA fails trustedIssuer', { skip: engine.skip }, () => {
      assert.deepEqual(meters.checks.trustedIssuer, { failing: 1, unit: 'certificates', examples: [ids.retiredIssuer] });
      assert.equal(meters.devices, 8);
      assert.equal(meters.liveCertificates, 10);
      assert.equal(meters.compliant, false);
    });

    test('an adopted self-signed RSA-1024 certificate fails keyPolicy and trustedIssuer; an adopted manufacturer one passes', { skip: engine.skip }, () => {
      assert.deepEqual(cameras.checks.keyPolicy, { failing: 1, unit: 'certificates', examples: [`discovered:${ids.adoptedWeak}`] });
      assert.deepEqual(cameras.checks.trustedIssuer, { failing: 1, unit: 'certificates', examples: [`discovered:${ids.adoptedWeak}`] });
      assert.deepEqual([cameras.devices, cameras.liveCertificates, cameras.adoptedCertificates, cameras.keyTypes], [3, 0, 2, { 'rsa-1024': 1, 'ec-p256': 1 }]);
      assert.equal(cameras.compliant, false);
      // Meters have no adopted certificate; their checks above are the ledger's alone.
      assert.equal(meters.adoptedCertificates, 0);
    });

    test('a class issued through the real path is compliant', { skip: engine.skip }, () => {
      assert.equal(clean.compliant, true, JSON.stringify(clean.checks));
      assert.deepEqual([clean.devices, clean.liveCertificates, clean.keyTypes], [1, 1, { 'ec-p256': 1 }]);
    });

    test('a certificate of exactly the longest lifetime the profile gives passes lifetime', { skip: engine.skip }, () => {
      assert.equal(edge.liveCertificates, 40);
      assert.deepEqual(edge.checks.lifetime, { failing: 0, unit: 'certificates', examples: [] });
    });

    test('GET /api/v1/reports/compliance and fleetpki report compliance --json say the same; the table has an adopted column', { skip: engine.skip }, async () => {
      const app = await buildApi(fleet.ctx);
      try {
        const response = await app.inject({ method: 'GET', url: '/api/v1/reports/compliance', headers: { authorization: `Bearer ${fleet.adminToken}` } });
        assert.equal(response.statusCode, 200);
        const rest = response.json().classes.find((k: ClassCompliance) => k.deviceClass === 'meter');
        assert.deepEqual(rest.checks, meters.checks);
        const restCameras = response.json().classes.find((k: ClassCompliance) => k.deviceClass === 'camera');
        assert.deepEqual([restCameras.adoptedCertificates, restCameras.checks], [2, cameras.checks]);
      } finally {
        await app.close();
      }
      if (engine.engine !== 'sqlite') return;
      const run = await cli(['--data-dir', fleet.dir, 'report', 'compliance', '--json']);
      assert.equal(run.code, 0, run.stderr);
      const fromCli = JSON.parse(run.stdout).classes.find((k: ClassCompliance) => k.deviceClass === 'meter');
      assert.deepEqual(fromCli.checks, meters.checks);
      // The table: columns are two or more spaces apart; the cameras' adopted certificates have a column of their own.
      const printed = await cli(['--data-dir', fleet.dir, 'report', 'compliance']);
      assert.equal(printed.code, 0, printed.stderr);
      const [header, ...rows] = printed.stdout.trim().split('\n').map((line) => line.split(/ {2,}/));
      const camera = Object.fromEntries(header.map((name, i) => [name, rows.find((r) => r[0] === 'camera')![i]]));
      assert.deepEqual(camera, { CLASS: 'camera', DEVICES: '3', 'LIVE CERTS': '0', ADOPTED: '2', 'UNIQUE KEY': 'ok', 'ONE CURRENT': 'ok', 'KEY POLICY': '1', LIFETIME: 'ok', ISSUER: '1', OWNER: 'ok', COMPLIANT: 'no' });
    });
  });
}
