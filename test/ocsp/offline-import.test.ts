// OCSP for a CA kept offline, in one process with two instances (offline, online): the
// responder answers for the CA only while an imported responder certificate is valid, never
// issues or renews one for it, takes up the next import, answers a revocation made online at
// once, and never signs past the certificate's notAfter; `ocsp import` refuses every bad
// certificate with its reason, stores nothing and audits the refusal; the lifecycle warns a
// third of the certificate's life ahead. The online instance runs on PostgreSQL when
// FLEETPKI_TEST_PG_URL answers, on SQLite otherwise.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import type { Issuer } from '../../src/ca/issuer.ts';
import { newSerial } from '../../src/ca/serial.ts';
import { buildTbs, signTbs } from '../../src/ca/sign.ts';
import { listAlerts, runJobNow } from '../../src/lifecycle/operations.ts';
import { createLifecycle } from '../../src/lifecycle/service.ts';
import { responderExpiry } from '../../src/ocsp/offline-due.ts';
import { importResponderCertificate } from '../../src/ocsp/offline-import.ts';
import { buildResponderRequest, parseResponderRequest, type ResponderRequestFile } from '../../src/ocsp/offline-request.ts';
import { signResponderRequest } from '../../src/ocsp/offline-sign.ts';
import { OcspResponder } from '../../src/ocsp/responder.ts';
import { signResponderCertificate } from '../../src/ocsp/signer-certificate.ts';
import { parseCertificate, type CertificateInfo } from '../../src/x509/certificate.ts';
import { parseCsr } from '../../src/x509/csr.ts';
import { tlv, TAG } from '../../src/x509/der.ts';
import { basicConstraints, extension, extKeyUsage, keyIdentifier, keyUsage, subjectKeyIdentifier } from '../../src/x509/extensions.ts';
import { classifyPublicKey } from '../../src/x509/keys.ts';
import { encodeOcspRequest, readOcspResponse } from '../../src/x509/ocsp-client.ts';
import { OCSP_OID } from '../../src/x509/ocsp.ts';
import { encodeName } from '../../src/x509/name.ts';
import { toPem } from '../../src/x509/pem.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { postgresCase } from '../store/engines.ts';
import { type Issued } from '../crl/harness.ts';
import { setUpOfflineLineInProcess } from '../crl/offline-line.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;
const pg = await postgresCase();
let offline: TestFleet;
let online: TestFleet;
let stranger: TestFleet;
let lineCa: Issuer;
let lineCaCert: CertificateInfo;
let issued: Issued[];
let onlineIds: string[];

async function request(): Promise<ResponderRequestFile> {
  return parseResponderRequest((await buildResponderRequest(online.ctx, 'line-ca', 'test')).bytes);
}

/** A round trip's certificate: requested online, signed offline. */
async function signedPem(days = 30, file?: ResponderRequestFile): Promise<{ pem: string; file: ResponderRequestFile }> {
  const req = file ?? (await request());
  return { pem: (await signResponderRequest(offline.ctx, req, days, 'test')).pem, file: req };
}

const fileOf = (pem: string | Buffer, path = 'responder.pem') => ({ path, bytes: Buffer.from(pem) });

const NO_CHECK = extension(OCSP_OID.noCheck, false, tlv(TAG.NULL));

/** A certificate signed with the offline CA's key, shaped at will (no lint: these are what the lint would stop). */
async function forge(spki: Buffer, parts: { extensions?: Buffer[]; notBefore?: Date; notAfter?: Date; issuer?: Buffer } = {}): Promise<string> {
  const signer = lineCa.signer(offline.ctx.passphrase);
  const tbs = buildTbs(signer, {
    serial: newSerial().der,
    issuer: parts.issuer ?? lineCa.cert.subjectDer,
    notBefore: parts.notBefore ?? new Date(Date.now() - MINUTE),
    notAfter: parts.notAfter ?? new Date(Date.now() + 80 * DAY),
    subject: encodeName([['CN', 'Forged OCSP Responder']]),
    spki,
    extensions: parts.extensions ?? [basicConstraints(false), keyUsage(['digitalSignature']), extKeyUsage(['OCSPSigning']), NO_CHECK, subjectKeyIdentifier(keyIdentifier(spki)), lineCa.childExtensions.aki],
  });
  return toPem(await signTbs(signer, tbs), 'CERTIFICATE');
}

/** A responder certificate signed properly by some other CA (`issuer` of `fleet`) for this key. */
async function signedBy(fleet: TestFleet, caName: string, spki: Buffer): Promise<string> {
  const issuer = await fleet.ctx.cas.byName(caName);
  const notBefore = new Date(Date.now() - MINUTE);
  const { der } = await signResponderCertificate({ issuer, caSigner: issuer.signer(fleet.ctx.passphrase), spki, key: classifyPublicKey(parseCertificate(issuer.row.certificate_der).publicKey), notBefore, notAfter: new Date(notBefore.getTime() + 10 * DAY) });
  return toPem(der, 'CERTIFICATE');
}

const spkiOf = async (file: ResponderRequestFile) => (await parseCsr(file.request.csr)).spkiDer;

/** Rows of the offline CA (the CAs with their keys here have signers of their own). */
async function counts(): Promise<{ signers: number; requests: number }> {
  const caId = (await online.ctx.cas.byName('line-ca')).row.id;
  const signers = await online.ctx.db.selectFrom('ocsp_signers').where('ca_id', '=', caId).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const requests = await online.ctx.db.selectFrom('ocsp_signer_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { signers: Number(signers.n), requests: Number(requests.n) };
}

before(async () => {
  if (pg.skip) console.log(`# the online instance runs on SQLite: ${pg.skip}`);
  [offline, online, stranger] = await Promise.all([openTestFleet(), openTestFleet(pg.skip ? {} : { db: pg.url }), openTestFleet()]);
  const files = mkdtempSync(join(tmpdir(), 'fleetpki-offline-ocsp-'));
  // Certificates signed offline, recorded online through a bundle, as batch sign and cert import do.
  ({ lineCa, issued, onlineIds } = await setUpOfflineLineInProcess(offline, online, files, { certificates: 2, validity: '90d' }));
  lineCaCert = lineCa.cert;
  assert.equal(onlineIds.length, 2);
});

after(async () => {
  await Promise.all([offline, online, stranger].map((f) => f?.close()));
  await pg.cleanup();
});

describe('the responder for a CA kept offline', () => {
  let clock = Date.now();
  let responder: OcspResponder;
  const ask = async (i: number) => {
    const answer = await responder.respond(encodeOcspRequest(parseCertificate(issued[i].row.der), lineCaCert));
    return { ...answer, read: answer.status === 'successful' ? readOcspResponse(answer.der, parseCertificate(issued[i].row.der), lineCaCert) : null };
  };
  before(() => {
    responder = new OcspResponder(online.ctx, { clock: () => new Date(clock) });
  });
  after(() => responder.close());

  test('answers unauthorized before the import, good after, and revoked at once after a revocation online', async () => {
    assert.equal((await ask(0)).status, 'unauthorized');
    await responder.prepareSigners();
    assert.equal((await ask(0)).status, 'unauthorized', 'nothing is issued for a CA without its key here');
    assert.deepEqual(await counts(), { signers: 0, requests: 0 });

    const { pem } = await signedPem(30);
    const report = await importResponderCertificate(online.ctx, fileOf(pem), 'test');
    assert.equal(report.ca, 'line-ca');
    assert.deepEqual(await counts(), { signers: 1, requests: 0 }, 'the request is consumed');
    await responder.prepareSigners();
    const good = await ask(0);
    assert.equal(good.read!.single!.status.kind, 'good');
    assert.deepEqual(good.read!.certificates, [parseCertificate(pem).der], 'signed by the imported responder');

    await revokeCertificate(online.ctx, onlineIds[1], 'keyCompromise', 'test');
    assert.equal((await ask(1)).read!.single!.status.kind, 'revoked');
    assert.equal((await ask(0)).read!.single!.status.kind, 'good');
  });

  test('keeps the imported signer through its last third, never past its notAfter, then answers unauthorized', async () => {
    const row = await online.ctx.db.selectFrom('ocsp_signers').selectAll().where('ca_id', '=', (await online.ctx.cas.byName('line-ca')).row.id).executeTakeFirstOrThrow();
    const notAfter = Date.parse(row.not_after);
    clock = notAfter - 10 * MINUTE;
    const late = await ask(0);
    assert.equal(late.read!.single!.nextUpdate!.getTime(), notAfter, 'nextUpdate stops at the signer certificate’s notAfter');
    await responder.prepareSigners();
    await responder.signers.idle();
    assert.deepEqual(await counts(), { signers: 1, requests: 0 }, 'no renewal attempted for an offline CA');
    const issuedHere = await online.ctx.db.selectFrom('audit_events').select('seq').where('action', '=', 'ocsp.signer.issue').where('target', '=', 'ca:line-ca').execute();
    assert.deepEqual(issuedHere, []);

    clock = notAfter + 1000;
    assert.equal((await ask(0)).status, 'unauthorized', 'the cached answer runs out with its signer');
    await responder.refresh();
    assert.equal((await ask(1)).status, 'unauthorized');
    clock = Date.now();
  });

  test('takes up a later import: the next responder certificate signs', async () => {
    const { pem } = await signedPem(60);
    await importResponderCertificate(online.ctx, fileOf(pem), 'test');
    await responder.prepareSigners();
    const answer = await ask(0);
    assert.deepEqual(answer.read!.certificates, [parseCertificate(pem).der]);
    assert.equal(answer.read!.single!.status.kind, 'good');
  });
});

describe('ocsp import refuses a bad certificate and stores nothing', () => {
  const cases: Array<[string, () => Promise<{ pem: string | Buffer; now?: Date }>, RegExp]> = [
    ['garbage', async () => ({ pem: 'not a certificate\n' }), /the certificate is neither PEM nor DER/],
    ['a certificate of a CA not known here', async () => ({ pem: await signedBy(stranger, 'devices-production', await spkiOf(await request())) }), /signed by no CA known here \(authority key identifier [0-9a-f]+\)/],
    ['a certificate of a CA whose key is here', async () => ({ pem: await signedBy(online, 'devices-production', await spkiOf(await request())) }), /CA devices-production holds its key here and issues its own OCSP responder certificates/],
    ['a certificate of another offline CA, for a key requested for this one', async () => ({ pem: await signedBy(offline, 'fleet-root', await spkiOf(await request())) }), /no OCSP responder request of CA offline-root is waiting here for this certificate's key/],
    ['a key no request was made for', async () => ({ pem: await forge(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' })) }), /no OCSP responder request of CA line-ca is waiting here for this certificate's key/],
    ['another issuer name under the CA\'s key identifier', async () => ({ pem: await forge(await spkiOf(await request()), { issuer: encodeName([['CN', 'Somebody Else']]) }) }), /the certificate's issuer is "CN=Somebody Else", not "O=Fleet, CN=Line CA"/],
    ['a bad signature', async () => {
      const der = Buffer.from(parseCertificate((await signedPem(45)).pem).der);
      der[der.length - 5] ^= 0x01;
      return { pem: der };
    }, /the certificate's signature does not verify with the key of CA line-ca/],
    ['no OCSPSigning', async () => {
      const spki = await spkiOf(await request());
      return { pem: await forge(spki, { extensions: [basicConstraints(false), keyUsage(['digitalSignature']), extKeyUsage(['clientAuth']), NO_CHECK, lineCa.childExtensions.aki] }) };
    }, /lacks the extended key usage OCSPSigning/],
    ['no id-pkix-ocsp-nocheck', async () => {
      const spki = await spkiOf(await request());
      return { pem: await forge(spki, { extensions: [basicConstraints(false), keyUsage(['digitalSignature']), extKeyUsage(['OCSPSigning']), lineCa.childExtensions.aki] }) };
    }, /lacks id-pkix-ocsp-nocheck/],
    ['a CA certificate', async () => {
      const spki = await spkiOf(await request());
      return { pem: await forge(spki, { extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'digitalSignature']), extKeyUsage(['OCSPSigning']), NO_CHECK, lineCa.childExtensions.aki] }) };
    }, /is a CA certificate, not a responder certificate/],
    ['expired', async () => ({ pem: (await signedPem(30)).pem, now: new Date(Date.now() + 200 * DAY) }), /the certificate expired at /],
    ['valid only from the future', async () => ({ pem: await forge(await spkiOf(await request()), { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 100 * DAY) }) }), /is valid only from .*check the offline machine's clock/],
    ['past the CA\'s own notAfter', async () => ({ pem: await forge(await spkiOf(await request()), { notAfter: new Date(lineCaCert.notAfter.getTime() + DAY) }) }), /outside CA line-ca's own validity/],
    ['the current one again (replay)', async () => ({ pem: toPem((await online.ctx.db.selectFrom('ocsp_signers').select('certificate_der').where('ca_id', '=', (await online.ctx.cas.byName('line-ca')).row.id).orderBy('not_after', 'desc').executeTakeFirstOrThrow()).certificate_der, 'CERTIFICATE') }), /this responder certificate of CA line-ca is already imported/],
    ['one that ends before the current one', async () => ({ pem: (await signedPem(10)).pem }), /CA line-ca already has a responder certificate valid until .*; this one ends at .*: an old certificate brought again/],
  ];
  for (const [name, make, reason] of cases) {
    test(name, async () => {
      const { pem, now } = await make();
      const before = await counts();
      const audited = await online.ctx.db.selectFrom('audit_events').select('seq').where('action', '=', 'ocsp.import').where('outcome', '=', 'refused').execute();
      await assert.rejects(importResponderCertificate(online.ctx, fileOf(pem, `${name}.pem`), 'test', now), (error: Error) => {
        assert.match(error.message, reason);
        return true;
      });
      assert.deepEqual(await counts(), before, 'nothing stored, no request consumed');
      const refusals = await online.ctx.db.selectFrom('audit_events').select(['seq', 'details']).where('action', '=', 'ocsp.import').where('outcome', '=', 'refused').execute();
      assert.equal(refusals.length, audited.length + 1, 'the refusal is audited');
    });
  }
});

describe('the lifecycle warns ahead', () => {
  test('ocsp.signer-expiring a third of the life ahead, after expiry, and for a request not answered; cleared by the next import', async () => {
    let now = new Date();
    const lc = createLifecycle(online.ctx, { clock: () => now, instanceId: 'offline-ocsp' });
    const expiring = async () => (await listAlerts(lc, { kind: 'ocsp.signer-expiring', state: 'active' }, { limit: 100 })).items.filter((a) => a.subject === 'ca:line-ca');
    // The refusal table left requests waiting: drop them, so only the signer's life counts.
    await online.ctx.db.deleteFrom('ocsp_signer_requests').execute();
    await runJobNow(lc, 'crl-refresh', 'test');
    assert.deepEqual(await expiring(), []);
    const current = await online.ctx.db.selectFrom('ocsp_signers').selectAll().where('ca_id', '=', (await online.ctx.cas.byName('line-ca')).row.id).orderBy('not_after', 'desc').executeTakeFirstOrThrow();
    const life = Date.parse(current.not_after) - Date.parse(current.not_before);
    now = new Date(Date.parse(current.not_after) - life / 3 + MINUTE);
    await runJobNow(lc, 'crl-refresh', 'test');
    const [alert] = await expiring();
    assert.equal(alert.severity, 'warning');
    assert.match(alert.summary, /the OCSP responder certificate of offline CA line-ca runs out at .*fleetpki ocsp request --ca line-ca/);
    now = new Date(Date.parse(current.not_after) + MINUTE);
    await runJobNow(lc, 'crl-refresh', 'test');
    assert.equal((await expiring()).length, 1, 'still active once expired');
    const lineRow = (await online.ctx.cas.byName('line-ca')).row;
    assert.match(responderExpiry(lineRow, current, 0, now)!.summary, /expired at .*so OCSP answers unauthorized for it/);

    // The next import clears it (signed and imported at the moved clock: the job's lease is taken by it).
    const { pem } = await signResponderRequest(offline.ctx, await request(), 92, 'test', now);
    await importResponderCertificate(online.ctx, fileOf(pem), 'test', now);
    await runJobNow(lc, 'crl-refresh', 'test');
    assert.deepEqual(await expiring(), []);

    // A request made and not answered, with no signer at all: the offline root.
    await online.ctx.db.deleteFrom('ocsp_signer_requests').execute();
    await buildResponderRequest(online.ctx, 'offline-root', 'test');
    await runJobNow(lc, 'crl-refresh', 'test');
    const root = (await listAlerts(lc, { kind: 'ocsp.signer-expiring', state: 'active' }, { limit: 100 })).items.filter((a) => a.subject === 'ca:offline-root');
    assert.match(root[0].summary, /offline CA offline-root has no OCSP responder certificate yet/);
  });
});

describe('ocsp sign-request refuses what it must not sign, and signs nothing', () => {
  const signedEvents = async () => (await offline.ctx.db.selectFrom('audit_events').select('seq').where('action', '=', 'ocsp.sign-request').where('outcome', '=', 'success').execute()).length;
  const cases: Array<[string, () => Promise<{ file: ResponderRequestFile; days?: number }>, RegExp]> = [
    ['a CSR whose signature does not verify (no proof of possession)', async () => {
      const file = await request();
      const der = Buffer.from((await parseCsr(file.request.csr)).der);
      der[der.length - 3] ^= 0x01;
      const tampered = { ...file.request, csr: toPem(der, 'CERTIFICATE REQUEST') };
      return { file: parseResponderRequest(Buffer.from(JSON.stringify(tampered))) };
    }, /CSR signature does not verify/],
    ['a CA this instance does not have', async () => {
      const file = await request();
      return { file: parseResponderRequest(Buffer.from(JSON.stringify({ ...file.request, ca: { ...file.request.ca, certificateSha256: 'ab'.repeat(32) } }))) };
    }, /whose certificate no CA here has: run ocsp sign-request on the instance that holds its key/],
    ['more days than a responder certificate may have', async () => ({ file: await request(), days: 93 }), /--days must be a whole number from 1 to 92, not 93/],
  ];
  for (const [name, make, reason] of cases) {
    test(name, async () => {
      const { file, days } = await make();
      const before = await signedEvents();
      await assert.rejects(signResponderRequest(offline.ctx, file, days ?? 30, 'test'), (error: Error) => {
        assert.match(error.message, reason);
        return true;
      });
      assert.equal(await signedEvents(), before);
    });
  }

  test('a file that is not a request of this version', () => {
    assert.throws(() => parseResponderRequest(Buffer.from('{"format":"fleetpki-crl-request/1"}')), /not an OCSP responder request of this version \(fleetpki-ocsp-responder-request\/1\)/);
    assert.throws(() => parseResponderRequest(Buffer.from('garbage')), /the OCSP responder request is not JSON/);
  });

  test('a validity never passes the CA\'s own notAfter', async () => {
    const nearEnd = new Date(lineCaCert.notAfter.getTime() - 5 * DAY);
    const result = await signResponderRequest(offline.ctx, await request(), 30, 'test', nearEnd);
    assert.equal(result.notAfter, lineCaCert.notAfter.toISOString());
  });
});

describe('an offline root', () => {
  test('after its own round trip, answers for the issuing CA certificates it signed, with the root as issuer', async () => {
    const rootCert = parseCertificate((await online.ctx.cas.byName('offline-root')).row.certificate_der);
    const responder = new OcspResponder(online.ctx);
    try {
      const askAboutLineCa = () => responder.respond(encodeOcspRequest(lineCaCert, rootCert));
      assert.equal((await askAboutLineCa()).status, 'unauthorized');
      const file = parseResponderRequest((await buildResponderRequest(online.ctx, 'offline-root', 'test')).bytes);
      const { pem } = await signResponderRequest(offline.ctx, file, 30, 'test');
      assert.equal(parseCertificate(pem).issuer, rootCert.subject);
      await importResponderCertificate(online.ctx, fileOf(pem), 'test');
      await responder.prepareSigners();
      const answer = await askAboutLineCa();
      assert.equal(answer.status, 'successful');
      const read = readOcspResponse(answer.der, lineCaCert, rootCert);
      assert.equal(read.single!.status.kind, 'good');
      assert.deepEqual(read.certificates, [parseCertificate(pem).der]);
    } finally {
      await responder.close();
    }
  });
});
