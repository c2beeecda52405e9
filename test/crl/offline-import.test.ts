// The CRL round trip of an offline issuing CA, in one process with two instances (offline,
// online): every bad import is refused with its reason and stores nothing; bad CRL requests
// are refused offline and change nothing there; an imported CRL is the CA's current one for
// the scheduler (never re-signed, never a reason to wake up) and for the crl.stale alert,
// which comes before its nextUpdate.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import type { Issuer } from '../../src/ca/issuer.ts';
import { crlPartitionUrl } from '../../src/ca/urls.ts';
import { listAlerts, runJobNow } from '../../src/lifecycle/operations.ts';
import { createLifecycle } from '../../src/lifecycle/service.ts';
import { importCrls, type CrlFile } from '../../src/revocation/crl-import.ts';
import { listCrlMeta } from '../../src/revocation/crl-rows.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { crlStaleness, offlineCrlDueAt } from '../../src/revocation/offline-crl-due.ts';
import { buildCrlRequest, parseCrlRequest, type CrlRequestFile } from '../../src/revocation/offline-request.ts';
import { signCrlRequest } from '../../src/revocation/offline-sign.ts';
import { FULL_CRL, partitionOf } from '../../src/revocation/partition.ts';
import { listCas } from '../../src/store/repos/cas.ts';
import type { CrlsTable } from '../../src/store/schema.ts';
import { encodeCertificateList, encodeCrlEntry, encodeTbsCertList, type CrlParts } from '../../src/x509/crl.ts';
import { encodeName } from '../../src/x509/name.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { issueDevice, type Issued } from './harness.ts';
import { setUpOfflineLineInProcess } from './offline-line.ts';

const HOUR = 3_600_000;
let offline: TestFleet;
let online: TestFleet;
let stranger: TestFleet;
let lineCa: Issuer;
let onlineCaId: string;
let issued: Issued[];
let onlineIds: string[];
let files: string;

const crlFile = (path: string, der: Buffer): CrlFile => ({ path, bytes: der });
const filesOf = (rows: CrlsTable[]): CrlFile[] => rows.map((r) => crlFile(`${r.partition}.crl`, r.der));

async function request(): Promise<CrlRequestFile> {
  return parseCrlRequest((await buildCrlRequest(online.ctx, 'line-ca', 'test')).bytes);
}

/** A fresh round trip's CRLs, signed offline for the current online state. */
async function signed(now = new Date()): Promise<CrlsTable[]> {
  return (await signCrlRequest(offline.ctx, await request(), 'test', now)).crls;
}

/** A CRL signed with the offline CA's key, shaped at will. */
async function forge(parts: Partial<CrlParts>): Promise<Buffer> {
  const signer = lineCa.signer(offline.ctx.passphrase);
  const now = Date.now();
  const tbs = encodeTbsCertList({
    signatureAlgorithm: signer.scheme.algorithmDer,
    issuer: lineCa.cert.subjectDer,
    issuerKeyId: lineCa.keyId,
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + 24 * HOUR),
    crlNumber: 1000,
    entries: issued.filter((_, i) => i === 0).map((c) => encodeCrlEntry(c.row.serial_hex, new Date().toISOString(), 1)),
    ...parts,
  });
  return encodeCertificateList(tbs, signer.scheme.algorithmDer, await signer.sign(tbs));
}

before(async () => {
  [offline, online, stranger] = await Promise.all([openTestFleet(), openTestFleet(), openTestFleet()]);
  files = mkdtempSync(join(tmpdir(), 'fleetpki-offline-import-'));
  // Offline: an issuing CA under the same name it has online, so its partition URLs are served
  // there; three certificates signed offline, recorded online through a bundle.
  ({ lineCa, onlineCaId, issued, onlineIds } = await setUpOfflineLineInProcess(offline, online, files, { certificates: 3, validity: '30d' }));
  assert.equal(onlineIds.length, 3);
  await revokeCertificate(online.ctx, onlineIds[0], 'keyCompromise', 'test');
});

after(() => Promise.all([offline, online, stranger].map((f) => f?.close())));

describe('a CRL round trip in one process', () => {
  test('the set signed offline is accepted, lists the online revocation, and covers the partitions certificates name', async () => {
    const rows = await signed();
    const partitions = rows.map((r) => r.partition);
    for (const cert of issued) assert.ok(partitions.includes(partitionOf(cert.row.not_after, cert.row.serial_hex)));
    const report = await importCrls(online.ctx, filesOf(rows), 'test');
    assert.deepEqual(report.imported[0].revokedOnlyOffline, []);
    assert.deepEqual(report.imported[0].warnings, []);
    const served = await crlService(online.ctx).current('line-ca', partitionOf(issued[0].row.not_after, issued[0].row.serial_hex));
    assert.equal(served.meta.crl_number, rows.find((r) => r.partition === served.meta.partition)!.crl_number);
    const offlineRow = await offline.ctx.db.selectFrom('certificates').select(['status', 'revocation_reason']).where('id', '=', issued[0].row.id).executeTakeFirstOrThrow();
    assert.deepEqual(offlineRow, { status: 'revoked', revocation_reason: 'keyCompromise' });
  });
});

describe('bad imports are refused and store nothing', () => {
  const cases: Array<[string, () => Promise<CrlFile[]>, RegExp | (() => RegExp)]> = [
    ['garbage', async () => [crlFile('garbage.crl', Buffer.from('not a CRL\n'))], /^garbage\.crl: the CRL is neither PEM nor DER/],
    ['truncated DER', async () => [crlFile('cut.crl', (await signed())[0].der.subarray(0, 100))], /^cut\.crl: malformed CRL/],
    ['a CRL of a CA not known here', async () => [crlFile('stranger.crl', (await crlService(stranger.ctx).regenerate(await stranger.ctx.cas.byName('devices-production'), { full: true, partitions: [] }))[0].der)], /stranger\.crl: the CRL is signed by no CA known here \(authority key identifier [0-9a-f]+\)/],
    ['a CRL of a CA whose key is here', async () => [crlFile('own.crl', (await crlService(online.ctx).regenerate(await online.ctx.cas.byName('devices-production'), { full: true, partitions: [] }))[0].der)], /own\.crl: CA devices-production holds its key here and signs its own CRLs/],
    ['a bad signature', async () => {
      const der = Buffer.from((await signed())[0].der);
      der[der.length - 5] ^= 0x01;
      return [crlFile('flipped.crl', der)];
    }, /flipped\.crl: the CRL's signature does not verify with the key of CA line-ca/],
    ['another issuer name with the CA\'s key identifier', async () => [crlFile('renamed.crl', await forge({ issuer: encodeName([['CN', 'Somebody Else']]) }))], /renamed\.crl: the CRL's issuer is not "O=Fleet, CN=Line CA"/],
    ['a replayed older CRL', async () => filesOf(await listStored()), /already has CRL number \d+ here; .* is not newer/],
    ['an expired CRL', async () => filesOf(await signed(new Date(Date.now() - 48 * HOUR))), /the CRL expired at /],
    ['thisUpdate in the future', async () => [crlFile('future.crl', await forge({ thisUpdate: new Date(Date.now() + 2 * HOUR), nextUpdate: new Date(Date.now() + 30 * HOUR) }))], /future\.crl: the CRL's thisUpdate .* is in the future/],
    ['valid for more than a year', async () => [crlFile('long.crl', await forge({ nextUpdate: new Date(Date.now() + 400 * 24 * HOUR) }))], /long\.crl: the CRL is valid from .* more than the 366 days accepted/],
    ['a partition scoped to a URL not served here', async () => [crlFile('full.crl', await forge({})), crlFile('elsewhere.crl', await forge({ crlNumber: 1001, distributionPoint: 'http://elsewhere.example/crl/line-ca/202701-a.crl' }))], /elsewhere\.crl: the CRL is the partition http:\/\/elsewhere\.example\/crl\/line-ca\/202701-a\.crl, but this instance serves the partitions of CA line-ca as http:\/\/127\.0\.0\.1:7080\/crl\/line-ca\/YYYYMM-h\.crl/],
    ['partitions without the full CRL', async () => filesOf((await signed()).slice(1)), /the CRLs of CA line-ca come without its full CRL/],
    ['two CRLs with one number', async () => [crlFile('a.crl', await forge({})), crlFile('b.crl', await forge({ distributionPoint: crlPartitionUrl(online.ctx.config.publicUrl, 'line-ca', partitionOf(issued[1].row.not_after, issued[1].row.serial_hex)) }))], /a\.crl and b\.crl both have CRL number 1000/],
    ['a full CRL that omits a revocation recorded online', async () => [crlFile('omits.crl', await forge({ entries: [] }))], () => new RegExp(`the CRLs of CA line-ca omit 1 revocation\\(s\\) recorded here: ${issued[0].row.serial_hex} \\(not on the full CRL omits\\.crl\\)`)],
    ['a set without the partition of a revoked certificate', async () => filesOf((await signed()).filter((r) => r.partition !== partitionOf(issued[0].row.not_after, issued[0].row.serial_hex))), /omit 1 revocation\(s\) recorded here: [0-9a-f]+ \(no CRL for its partition \d{6}-[0-9a-f] in this import\)/],
  ];

  async function listStored(): Promise<CrlsTable[]> {
    const metas = await listCrlMeta(online.ctx.db, onlineCaId);
    return Promise.all(metas.map(async (m) => ({ ...m, der: (await online.ctx.db.selectFrom('crls').select('der').where('ca_id', '=', onlineCaId).where('partition', '=', m.partition).executeTakeFirstOrThrow()).der })));
  }

  for (const [name, make, expected] of cases) {
    test(name, async () => {
      const input = await make();
      const before = await listCrlMeta(online.ctx.db);
      await assert.rejects(importCrls(online.ctx, input, 'test'), (error: Error) => {
        assert.match(error.message, typeof expected === 'function' ? expected() : expected);
        return true;
      });
      assert.deepEqual(await listCrlMeta(online.ctx.db), before, 'nothing stored');
      const [event] = await online.ctx.db.selectFrom('audit_events').select(['action', 'outcome', 'details']).orderBy('seq', 'desc').limit(1).execute();
      assert.deepEqual([event.action, event.outcome, JSON.parse(event.details).files], ['crl.import', 'refused', input.map((f) => f.path)]);
    });
  }

  test('a revocation made online after the request is named when the CRL comes back without it', async () => {
    const stale = await request();
    await revokeCertificate(online.ctx, onlineIds[1], 'superseded', 'test');
    const rows = (await signCrlRequest(offline.ctx, stale, 'test')).crls;
    await assert.rejects(importCrls(online.ctx, filesOf(rows), 'test'), new RegExp(`omit \\d revocation\\(s\\) recorded here: .*${issued[1].row.serial_hex} .*Revoked here after the CRL request was written`));
    const fresh = await signed();
    assert.equal((await importCrls(online.ctx, filesOf(fresh), 'test')).imported[0].ca, 'line-ca');
  });
});

describe('bad CRL requests are refused offline and change nothing there', () => {
  const statuses = () => offline.ctx.db.selectFrom('certificates').select(['id', 'status']).orderBy('id').execute();

  test('garbage, another shape, a CA not here, a certificate the CA did not sign', async () => {
    const good = JSON.parse((await buildCrlRequest(online.ctx, 'line-ca', 'test')).bytes.toString('utf8'));
    const before = await statuses();
    assert.throws(() => parseCrlRequest(Buffer.from('{not json')), /the CRL request is not JSON/);
    assert.throws(() => parseCrlRequest(Buffer.from(JSON.stringify({ ...good, format: 'other/1' }))), /not a CRL request of this version .*format/);
    const strangerCert = (await issueDevice(stranger)).row;
    const forged = { ...good, revocations: [...good.revocations, { ...good.revocations[0], serial: strangerCert.serial_hex, certificate: strangerCert.der.toString('base64') }] };
    await assert.rejects(signCrlRequest(offline.ctx, parseCrlRequest(Buffer.from(JSON.stringify(forged))), 'test'), new RegExp(`lists serial ${strangerCert.serial_hex}, whose certificate CA line-ca did not sign`));
    const elsewhere = JSON.parse((await buildCrlRequest(online.ctx, 'offline-root', 'test')).bytes.toString('utf8'));
    await assert.rejects(signCrlRequest(stranger.ctx, parseCrlRequest(Buffer.from(JSON.stringify(elsewhere))), 'test'), /whose certificate no CA here has: run crl sign-request on the instance that holds its key/);
    await assert.rejects(buildCrlRequest(online.ctx, 'devices-production', 'test'), /holds its key here and signs its own CRLs/);
    assert.deepEqual(await statuses(), before);
  });
});

describe('an imported CRL is the CA\'s current one', () => {
  test('the sweep never re-signs it and the scheduler does not wait on it', async () => {
    const stored = (await listCrlMeta(online.ctx.db, onlineCaId)).find((m) => m.partition === FULL_CRL)!;
    const late = new Date(Date.parse(stored.next_update) - HOUR);
    await crlService(online.ctx).sweep(late);
    assert.equal((await listCrlMeta(online.ctx.db, onlineCaId)).find((m) => m.partition === FULL_CRL)!.crl_number, stored.crl_number);
    // The sweep at `late` re-signed the CRLs of the CAs with a key here, so the imported one is due first, yet only theirs count.
    const service = crlService(online.ctx);
    const keyed = new Set((await listCas(online.ctx.db)).filter((ca) => ca.encrypted_key !== null).map((ca) => ca.id));
    const theirs = (await listCrlMeta(online.ctx.db)).filter((m) => keyed.has(m.ca_id)).map((m) => service.dueAt(m));
    assert.ok(service.dueAt(stored) < Math.min(...theirs));
    assert.equal(await service.nextDue(), Math.min(...theirs), 'only CRLs signed here set the wake-up time');
  });

  test('crl.stale before nextUpdate for an offline CA, when a third of the validity is left', () => {
    const ca = { name: 'line-ca', encrypted_key: null } as Parameters<typeof crlStaleness>[1];
    const meta = { ca_id: 'x', partition: FULL_CRL, crl_number: 1, entries: 0, this_update: '2030-01-01T00:00:00.000Z', next_update: '2030-01-31T00:00:00.000Z' };
    const config = online.ctx.config;
    assert.equal(crlStaleness(config, ca, meta, new Date('2030-01-20T23:59:59.000Z')), null);
    assert.match(crlStaleness(config, ca, meta, new Date('2030-01-21T00:00:00.000Z'))!.summary, /the CRL of offline CA line-ca runs out at 2030-01-31T00:00:00.000Z: bring one from the offline instance: fleetpki crl request --ca line-ca/);
    assert.match(crlStaleness(config, ca, meta, new Date('2030-01-31T00:00:00.000Z'))!.summary, /expired at .*offline CA/);
    assert.match(crlStaleness(config, ca, undefined, new Date())!.summary, /has no CRL \(offline CA/);
    const keyed = { name: 'devices-production', encrypted_key: Buffer.alloc(1) } as unknown as Parameters<typeof crlStaleness>[1];
    assert.equal(crlStaleness(config, keyed, meta, new Date('2030-01-30T00:00:00.000Z')), null, 'a CA with its key here re-signs by itself');
  });

  test('the crl-refresh job raises crl.stale for the imported CRL before its nextUpdate, and clears it after the next import', async () => {
    let now = new Date();
    const lc = createLifecycle(online.ctx, { clock: () => now, instanceId: 'offline-import' });
    const stale = async () => (await listAlerts(lc, { kind: 'crl.stale', state: 'active' }, { limit: 100 })).items.filter((a) => a.subject === 'ca:line-ca');
    await runJobNow(lc, 'crl-refresh', 'test');
    assert.deepEqual(await stale(), []);
    const full = (await listCrlMeta(online.ctx.db, onlineCaId)).find((m) => m.partition === FULL_CRL)!;
    now = new Date(offlineCrlDueAt(online.ctx.config, full) + 1000);
    await runJobNow(lc, 'crl-refresh', 'test');
    const [alert] = await stale();
    assert.ok(Date.parse(full.next_update) > now.getTime(), 'still current');
    assert.match(alert.summary, /runs out at .*fleetpki crl request --ca line-ca/);
    await importCrls(online.ctx, filesOf(await signed(new Date(now.getTime() - 60_000))), 'test', now);
    await runJobNow(lc, 'crl-refresh', 'test');
    assert.deepEqual(await stale(), []);
  });
});
