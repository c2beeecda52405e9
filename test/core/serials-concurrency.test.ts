// Serial numbers under concurrent issuance: random (CSPRNG, 128-bit class), positive,
// DER-minimal, unique per issuer, and every certificate handed out is in the ledger. The
// group commit must batch the ledger writes, not serialise them.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { verifyAuditChain } from '../../src/app/audit.ts';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import { newId } from '../../src/ids.ts';
import { randomPoolBytes } from '../../src/random-pool.ts';
import { isUniqueViolation } from '../../src/store/open.ts';
import { getCaByName } from '../../src/store/repos/cas.ts';
import { countCertificates, getCertificateBySerial, insertCertificate } from '../../src/store/repos/certificates.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { openTestFleet, opensslCsr, opensslVerify, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { encodedSerial, opensslSummary, pemOf } from '../helpers/openssl.ts';

const N = 300;

/** The serial's value as 16 big-endian bytes (the sign pad dropped, leading zero bytes restored). */
function value128(integer: Buffer): Buffer {
  const magnitude = integer[0] === 0 ? integer.subarray(1) : integer;
  assert.ok(magnitude.length <= 16, `serial value of ${magnitude.length} octets is wider than 128 bits`);
  return Buffer.concat([Buffer.alloc(16 - magnitude.length), magnitude]);
}

describe(`${N} concurrent issuances`, () => {
  let fleet: TestFleet;
  let issued: CertificatesTable[];
  let batches: number;
  let issuerId: string;

  before(async () => {
    fleet = await openTestFleet();
    issuerId = (await getCaByName(fleet.ctx.db, 'devices-production'))!.id;
    // CSR reuse is fine here: the CA must still give every certificate its own serial.
    const csrs = [opensslCsr(fleet.dir, 'ec-p256').pem, opensslCsr(fleet.dir, 'ec-p256').pem, opensslCsr(fleet.dir, 'ed25519').pem];
    const devices = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createDevice(fleet.ctx, { externalSerial: `CONC-${i}`, deviceClass: 'sensor', environment: 'production' }, 'test')),
    );
    const batchesBefore = fleet.ctx.ledger.batches;
    issued = await Promise.all(
      Array.from({ length: N }, (_, i) => issueFromCsr(fleet.ctx, { csr: csrs[i % csrs.length], profile: 'sensor', deviceId: devices[i % devices.length].id }, 'test:concurrency')),
    );
    batches = fleet.ctx.ledger.batches - batchesBefore;
  });
  after(() => fleet?.close());

  it('every serial is unique', () => {
    assert.equal(new Set(issued.map((c) => c.serial_hex)).size, N);
    assert.equal(new Set(issued.map((c) => c.id)).size, N);
  });

  it('every serial is a positive, minimally encoded DER INTEGER of at most 17 octets', () => {
    for (const cert of issued) {
      const integer = encodedSerial(cert.der);
      assert.ok(integer.length >= 1 && integer.length <= 17, `serial ${cert.serial_hex}: ${integer.length} octets`);
      assert.equal(integer[0] & 0x80, 0, `serial ${cert.serial_hex} is negative`);
      assert.ok(!(integer.length > 1 && integer[0] === 0 && !(integer[1] & 0x80)), `serial ${integer.toString('hex')} has a superfluous leading zero`);
      assert.ok(integer.some((b) => b !== 0), 'serial is not zero');
      assert.equal(value128(integer).toString('hex').replace(/^(00)+/, ''), cert.serial_hex.replace(/^(00)+/, ''), 'the stored hex is the encoded value');
    }
  });

  it('serials carry about 128 random bits: full length, every bit position varies, no shared prefixes', () => {
    const values = issued.map((c) => value128(encodedSerial(c.der)));
    // 16 value octets (+1 sign pad half the time); a shorter one needs a leading zero byte (1 in 256).
    const lengths = issued.map((c) => encodedSerial(c.der).length);
    assert.ok(lengths.every((l) => l >= 13), `lengths ${[...new Set(lengths)].sort()}`);
    assert.ok(lengths.filter((l) => l >= 16).length >= N * 0.95, 'nearly all serials are 16 or 17 octets');
    assert.ok(lengths.filter((l) => l === 17).length > N * 0.3 && lengths.filter((l) => l === 16).length > N * 0.3, 'the top bit is random, so the sign pad comes and goes');
    // Each of the 128 bit positions is set in roughly half the serials (8+ standard deviations of slack).
    for (let bit = 0; bit < 128; bit++) {
      const set = values.filter((v) => v[bit >> 3] & (0x80 >> (bit & 7))).length;
      assert.ok(set > N * 0.25 && set < N * 0.75, `bit ${bit} is set in ${set} of ${N} serials`);
    }
    assert.ok(new Set(values.map((v) => v[0])).size > 100, 'the leading byte is spread over its range');
    assert.equal(new Set(values.map((v) => v.subarray(0, 8).toString('hex'))).size, N, 'no two serials share their first 64 bits');
    assert.equal(new Set(values.map((v) => v.subarray(8).toString('hex'))).size, N, 'no two serials share their last 64 bits');
  });

  it('every returned certificate is in the store, by issuer and serial, with the same bytes', async () => {
    assert.equal(await countCertificates(fleet.ctx.db, { issuerId }), N);
    for (const cert of issued) {
      const row = await getCertificateBySerial(fleet.ctx.db, issuerId, cert.serial_hex);
      assert.ok(row, `serial ${cert.serial_hex} is recorded`);
      assert.equal(row.id, cert.id);
      assert.ok(row.der.equals(cert.der));
    }
  });

  it('the ledger commits were grouped', () => {
    assert.ok(batches < N, `${batches} commits for ${N} certificates`);
    assert.ok(batches >= 1);
  });

  it('the audit chain holds one issue event per certificate and verifies', async () => {
    const result = await verifyAuditChain(fleet.ctx);
    assert.deepEqual(result.problems, []);
    const events = await fleet.ctx.db.selectFrom('audit_events').select('target').where('action', '=', 'certificate.issue').where('outcome', '=', 'success').execute();
    assert.deepEqual(new Set(events.map((e) => e.target)), new Set(issued.map((c) => `certificate:${c.id}`)));
  });

  it('openssl agrees on a sample: the chain verifies and the serial is the stored one', async () => {
    const chain = await writeChainFiles(fleet);
    for (const cert of issued.filter((_, i) => i % 60 === 0)) {
      const pem = pemOf(cert.der);
      assert.match(opensslVerify(chain, pem, fleet.dir), /: OK\n$/);
      assert.equal(opensslSummary(pem).serial, cert.serial_hex.toUpperCase());
    }
  });

  it('the store refuses a second certificate with the same issuer and serial', async () => {
    const copy = { ...issued[0], id: newId(), fingerprint_sha256: '00'.repeat(32) };
    await assert.rejects(insertCertificate(fleet.ctx.db, copy), (error) => isUniqueViolation(error));
    await assert.rejects(
      fleet.ctx.ledger.submit((trx) => insertCertificate(trx, { ...copy, id: newId() })),
      (error) => isUniqueViolation(error),
    );
    assert.equal(await countCertificates(fleet.ctx.db, { issuerId }), N);
    // Unique per issuer, not globally: another CA may use the same number.
    const lab = (await getCaByName(fleet.ctx.db, 'devices-lab'))!.id;
    await insertCertificate(fleet.ctx.db, { ...copy, id: newId(), issuer_id: lab });
    assert.ok(await getCertificateBySerial(fleet.ctx.db, lab, copy.serial_hex));
  });
});

describe('a serial collision', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet();
  });
  after(() => fleet?.close());

  it('is signed again with a fresh serial, never recorded or returned twice', async () => {
    const device = await createDevice(fleet.ctx, { externalSerial: 'COLLIDE-1', deviceClass: 'sensor', environment: 'production' }, 'test');
    const csr = opensslCsr(fleet.dir, 'ec-p256').pem;
    const first = await issueFromCsr(fleet.ctx, { csr, profile: 'sensor', deviceId: device.id }, 'test');
    const taken = value128(encodedSerial(first.der));

    // Serials come from a pool refilled by crypto.randomFillSync. Run the pool dry, then make
    // its next refill start with the serial already taken: the next issuance draws it first.
    const realFill = crypto.randomFillSync;
    let refills = 0;
    let inject = false;
    (crypto as { randomFillSync: unknown }).randomFillSync = <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      refills++;
      realFill(buffer);
      if (inject) {
        inject = false;
        taken.copy(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
      }
      return buffer;
    };
    syncBuiltinESMExports();
    try {
      while (refills === 0) randomPoolBytes(1);
      const poolSize = (() => {
        let size = 1;
        const before = refills;
        while (refills === before) {
          randomPoolBytes(1);
          size++;
        }
        return size - 1;
      })();
      // A refill just happened and one byte of it was taken: take the rest.
      for (let i = 1; i < poolSize; i++) randomPoolBytes(1);
      inject = true;
      const batchesBefore = fleet.ctx.ledger.batches;
      const second = await issueFromCsr(fleet.ctx, { csr, profile: 'sensor', deviceId: device.id }, 'test');
      assert.equal(inject, false, 'the colliding serial was drawn');
      assert.notEqual(second.serial_hex, first.serial_hex);
      assert.equal(fleet.ctx.ledger.batches - batchesBefore, 2, 'one refused commit (duplicate serial), one with a fresh serial');
      const issuerId = first.issuer_id;
      assert.equal((await getCertificateBySerial(fleet.ctx.db, issuerId, first.serial_hex))?.id, first.id, 'the first holder keeps its serial');
      assert.equal((await getCertificateBySerial(fleet.ctx.db, issuerId, second.serial_hex))?.id, second.id);
      assert.equal(await countCertificates(fleet.ctx.db, { issuerId }), 2);
      assert.deepEqual((await verifyAuditChain(fleet.ctx)).problems, []);
    } finally {
      (crypto as { randomFillSync: unknown }).randomFillSync = realFill;
      syncBuiltinESMExports();
    }
  });
});
