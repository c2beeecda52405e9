// The responder's promises beyond one answer: pre-signed responses served as they are, one
// signing for concurrent first queries, nonces signed on demand and never kept, revocations
// replacing responses at once (also those made by another process, through the refresher),
// refresh before nextUpdate, delegated signers renewed with a third of their life left and
// sealed at rest, and tryLater when the store is gone. Answers are read by `openssl ocsp`.

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { releaseCertificate, revokeCertificate } from '../../src/app/certificates.ts';
import { closeContext, openContext } from '../../src/app/context.ts';
import { listAudit } from '../../src/app/audit.ts';
import { startOcspRefresher } from '../../src/ocsp/refresher.ts';
import { OcspResponder } from '../../src/ocsp/responder.ts';
import { KeyUnsealError, unsealPrivateKey } from '../../src/signer/sealed-key.ts';
import { getCaByName } from '../../src/store/repos/cas.ts';
import { listOcspSigners } from '../../src/store/repos/ocsp-signers.ts';
import { parseCertificate } from '../../src/x509/certificate.ts';
import { OCSP_STATUS } from '../../src/x509/ocsp.ts';
import { deviceCertificate, openOcspFleet, opensslReads, opensslRequest, responseStatus, type OcspFleet } from './helpers.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A clock the test moves. */
function testClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

async function untilCached(responder: OcspResponder, size: number): Promise<void> {
  for (let i = 0; i < 200 && responder.cache.size < size; i++) await new Promise((r) => setTimeout(r, 5));
}

describe('OCSP responder', () => {
  let o: OcspFleet;
  before(async () => {
    o = await openOcspFleet();
  });
  after(() => o.close());

  it('serves the pre-signed response byte for byte, and signs a new CertID once for concurrent first queries', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    try {
      const { file } = await deviceCertificate(o.fleet);
      const request = await opensslRequest(o, ['-cert', file]);
      // ECDSA signatures are randomised: identical bytes mean one signing.
      const first = await Promise.all(Array.from({ length: 20 }, () => responder.respond(request)));
      assert.equal(new Set(first.map((a) => a.der.toString('hex'))).size, 1);
      const again = await responder.respond(request);
      assert.equal(again.source, 'cache');
      assert.ok(again.der.equals(first[0].der));
      const read = await opensslReads(o, again.der, ['-cert', file]);
      assert.match(read.stdout, /: good/);
      assert.match(read.text, /Response verify OK/);
    } finally {
      await responder.close();
    }
  });

  it('signs a nonce request on demand, echoes the nonce and keeps nothing', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    try {
      const { file } = await deviceCertificate(o.fleet);
      const request = await opensslRequest(o, ['-cert', file], []);
      const one = await responder.respond(request);
      const two = await responder.respond(request);
      assert.equal(one.source, 'signed');
      assert.equal(one.caching, null, 'no HTTP cache may keep a nonce answer');
      assert.ok(!one.der.equals(two.der), 'each nonce request gets a signature of its own');
      assert.equal(responder.cache.size, 0);
      const requestFile = `${o.fleet.dir}/nonce.req`;
      writeFileSync(requestFile, request);
      // With -reqin (and no -cert, which would make openssl build a new request) openssl checks the nonce.
      const read = await opensslReads(o, one.der, [], ['-reqin', requestFile, '-resp_text']);
      assert.match(read.stdout, /Cert Status: good/);
      assert.match(read.stdout, /OCSP Nonce:/);
      assert.doesNotMatch(read.text, /WARNING|Nonce Verify error/, 'openssl found its nonce in the response');
      assert.ok(one.der.includes(request.subarray(-16)), "the request's 16 nonce octets are in the response");
    } finally {
      await responder.close();
    }
  });

  it('replaces a cached response at once when the certificate is revoked', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    try {
      const { row, file } = await deviceCertificate(o.fleet);
      const request = await opensslRequest(o, ['-cert', file]);
      await responder.respond(request);
      assert.equal(responder.cache.size, 1);
      await revokeCertificate(o.fleet.ctx, row.id, 'cessationOfOperation', 'test');
      await untilCached(responder, 1);
      const answer = await responder.respond(request);
      assert.equal(answer.source, 'cache', 'the replacement was signed without waiting for a query');
      const read = await opensslReads(o, answer.der, ['-cert', file]);
      assert.match(read.stdout, /: revoked/);
      assert.match(read.stdout, /Reason: cessationOfOperation/);
    } finally {
      await responder.close();
    }
  });

  it('re-signs responses asked for in the last third of their validity, drops the others, and never serves an expired one', async () => {
    const clock = testClock();
    const responder = new OcspResponder(o.fleet.ctx, { clock: clock.now });
    try {
      const asked = await opensslRequest(o, ['-cert', (await deviceCertificate(o.fleet)).file]);
      const forgotten = await opensslRequest(o, ['-cert', (await deviceCertificate(o.fleet)).file]);
      const first = await responder.respond(asked);
      await responder.respond(forgotten);
      await responder.respond(asked); // asked again: worth keeping
      clock.advance(30 * MINUTE);
      assert.deepEqual(await responder.refresh(), { resigned: 0, dropped: 0 }, 'half the validity left: nothing to do');
      clock.advance(15 * MINUTE);
      assert.deepEqual(await responder.refresh(), { resigned: 1, dropped: 1 });
      const refreshed = await responder.respond(asked);
      assert.equal(refreshed.source, 'cache');
      assert.equal(refreshed.caching!.nextUpdate.getTime() - first.caching!.nextUpdate.getTime(), 45 * MINUTE);
      clock.advance(61 * MINUTE);
      const late = await responder.respond(asked);
      assert.equal(late.source, 'signed', 'past nextUpdate the response is signed again, not served');
    } finally {
      await responder.close();
    }
  });

  it('renews the delegated signer when less than a third of its life is left, keeping its key sealed', async () => {
    const clock = testClock();
    const responder = new OcspResponder(o.fleet.ctx, { clock: clock.now });
    const ca = (await getCaByName(o.fleet.ctx.db, 'devices-production'))!;
    try {
      const request = await opensslRequest(o, ['-cert', (await deviceCertificate(o.fleet)).file]);
      await responder.prepareSigners();
      const before = await listOcspSigners(o.fleet.ctx.db, ca.id);
      clock.advance(19 * DAY); // 30-day signers: 11 days left is more than a third
      await responder.prepareSigners();
      assert.equal((await listOcspSigners(o.fleet.ctx.db, ca.id)).length, before.length);
      clock.advance(2 * DAY); // 9 days left
      await responder.prepareSigners();
      const after = await listOcspSigners(o.fleet.ctx.db, ca.id);
      assert.equal(after.length, before.length + 1);
      const renewed = after.at(-1)!;
      const cert = parseCertificate(renewed.certificate_der);
      assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 30 * DAY);
      assert.ok(cert.notBefore.getTime() > Date.now() + 20 * DAY, 'the new signer starts at the (test) time of renewal');

      const answer = await responder.respond(request);
      const ski = cert.subjectKeyId!.toString('hex').toUpperCase();
      const text = (await opensslReads(o, answer.der, [], ['-resp_text', '-noverify'])).stdout;
      assert.match(text, new RegExp(`Responder Id: ${ski}`), 'responses are signed by the new signer');

      const sealed = JSON.parse(renewed.encrypted_key.toString('utf8'));
      assert.equal(sealed.kdf, 'scrypt');
      assert.equal(sealed.cipher, 'aes-256-gcm');
      const key = unsealPrivateKey(renewed.encrypted_key, o.fleet.ctx.passphrase(), renewed.id);
      assert.ok(cert.publicKey.equals(createPublicKey(key)));
      assert.throws(() => unsealPrivateKey(renewed.encrypted_key, o.fleet.ctx.passphrase(), before[0].id), KeyUnsealError, 'bound to its row');
      assert.throws(() => unsealPrivateKey(renewed.encrypted_key, 'not the passphrase', renewed.id), KeyUnsealError);

      const audit = await listAudit(o.fleet.ctx, { action: 'ocsp.signer.issue' }, { limit: 100 });
      assert.ok(audit.items.some((event) => event.details.signer === renewed.id && event.target === 'ca:devices-production'));
    } finally {
      await responder.close();
    }
  });

  it('answers a request about certificates of two CAs with unauthorized: one delegated signer speaks for one CA', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    try {
      const { file } = await deviceCertificate(o.fleet);
      const request = await opensslRequest(o, ['-cert', file, '-issuer', o.chain.root, '-cert', o.chain.intermediate]);
      assert.equal(responseStatus((await responder.respond(request)).der), OCSP_STATUS.unauthorized);
    } finally {
      await responder.close();
    }
  });
});

describe('OCSP responder and other processes', () => {
  let o: OcspFleet;
  before(async () => {
    o = await openOcspFleet();
  });
  after(() => o.close());

  it('picks up revocations and releases made by another process at the next refresher tick', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    const refresher = startOcspRefresher(responder, { db: o.fleet.ctx.db, log: pino({ level: 'silent' }), intervalMs: 60_000 });
    const other = await openContext(o.fleet.ctx.config, { log: pino({ level: 'silent' }), env: {} });
    try {
      const { row, file } = await deviceCertificate(o.fleet);
      const request = await opensslRequest(o, ['-cert', file]);
      assert.match((await opensslReads(o, (await responder.respond(request)).der, ['-cert', file])).stdout, /: good/);

      await revokeCertificate(other, row.id, 'certificateHold', 'cli'); // its event stays in the other process
      assert.match((await opensslReads(o, (await responder.respond(request)).der, ['-cert', file])).stdout, /: good/, 'not seen yet');
      await refresher.tick();
      await untilCached(responder, 1);
      assert.match((await opensslReads(o, (await responder.respond(request)).der, ['-cert', file])).stdout, /Reason: certificateHold/);

      await releaseCertificate(other, row.id, 'cli');
      await refresher.tick();
      await untilCached(responder, 1);
      assert.match((await opensslReads(o, (await responder.respond(request)).der, ['-cert', file])).stdout, /: good/);
    } finally {
      await closeContext(other);
      await refresher.close();
      await responder.close();
    }
  });

  it('answers tryLater when the store is gone, and keeps serving what it has pre-signed', async () => {
    const responder = new OcspResponder(o.fleet.ctx);
    try {
      const cached = await opensslRequest(o, ['-cert', (await deviceCertificate(o.fleet)).file]);
      const uncached = await opensslRequest(o, ['-cert', (await deviceCertificate(o.fleet)).file]);
      await responder.respond(cached);
      await o.fleet.ctx.store.close();
      assert.equal(responseStatus((await responder.respond(cached)).der), OCSP_STATUS.successful);
      assert.equal(responseStatus((await responder.respond(uncached)).der), OCSP_STATUS.tryLater);
    } finally {
      await responder.close();
    }
  });
});
