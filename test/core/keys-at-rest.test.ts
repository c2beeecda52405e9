// CA private keys at rest: only ever sealed. The bytes of every file fleetpki writes are
// searched for each CA key in every encoding a careless write could produce; the sealed
// form opens only with the right passphrase and only on its own CA's row; views and signer
// objects carry no key material.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { getCa, listCas } from '../../src/app/cas.ts';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { closeContext, openContext } from '../../src/app/context.ts';
import { createDevice } from '../../src/app/devices.ts';
import { KeyUnsealError, unsealPrivateKey } from '../../src/signer/sealed-key.ts';
import { SoftwareSigner } from '../../src/signer/software.ts';
import { countCertificates } from '../../src/store/repos/certificates.ts';
import { getCaByName, listCas as listCaRows } from '../../src/store/repos/cas.ts';
import type { CasTable } from '../../src/store/schema.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';
import pino from 'pino';

/** Every encoding of a private key that would betray it if written or shown. */
function needles(key: KeyObject): Array<{ what: string; bytes: Buffer }> {
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const pkcs8Pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  const out = [
    { what: 'PKCS#8 DER', bytes: pkcs8 },
    { what: 'PKCS#8 PEM', bytes: Buffer.from(pkcs8Pem) },
    { what: 'first PEM line of PKCS#8', bytes: Buffer.from(pkcs8Pem.split('\n')[1]) },
    { what: 'base64 of PKCS#8 on one line', bytes: Buffer.from(pkcs8.toString('base64')) },
    { what: 'hex of PKCS#8', bytes: Buffer.from(pkcs8.toString('hex')) },
    { what: 'raw private scalar', bytes: d },
    { what: 'hex of the private scalar', bytes: Buffer.from(d.toString('hex')) },
    { what: 'base64url of the private scalar', bytes: Buffer.from(d.toString('base64url')) },
  ];
  if (key.asymmetricKeyType === 'ec') out.push({ what: 'SEC1 DER', bytes: key.export({ format: 'der', type: 'sec1' }) });
  if (key.asymmetricKeyType === 'rsa') out.push({ what: 'PKCS#1 DER', bytes: key.export({ format: 'der', type: 'pkcs1' }) });
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('CA keys at rest', () => {
  let fleet: TestFleet;
  let passphrase: string;
  let rows: CasTable[];
  const keys = new Map<string, KeyObject>();

  before(async () => {
    fleet = await openTestFleet();
    passphrase = fleet.ctx.passphrase();
    // Use the keys once, so anything written on first use (caches, logs) exists to be found.
    const device = await createDevice(fleet.ctx, { externalSerial: 'KEYS-1', deviceClass: 'sensor', environment: 'production' }, 'test');
    await issueFromCsr(fleet.ctx, { csr: opensslCsr(fleet.dir, 'ec-p256').pem, profile: 'sensor', deviceId: device.id }, 'test');
    rows = await listCaRows(fleet.ctx.db);
    for (const row of rows) keys.set(row.name, unsealPrivateKey(row.encrypted_key!, passphrase, row.id));
  });
  after(() => fleet?.close());

  it('every CA created by init has a sealed key: scrypt + AES-256-GCM, its own salt and IV', () => {
    assert.deepEqual(rows.map((r) => r.name).sort(), ['code-signing', 'devices-lab', 'devices-production', 'fleet-root']);
    const sealed = rows.map((r) => JSON.parse(r.encrypted_key!.toString('utf8')));
    for (const blob of sealed) {
      assert.deepEqual({ kdf: blob.kdf, cipher: blob.cipher, log2n: blob.log2n }, { kdf: 'scrypt', cipher: 'aes-256-gcm', log2n: 12 });
    }
    assert.equal(new Set(sealed.map((b) => b.salt)).size, rows.length);
    assert.equal(new Set(sealed.map((b) => b.iv)).size, rows.length);
  });

  it('no file in the data directory holds a CA private key, while the store is open and after it is closed', async () => {
    const scan = (moment: string) => {
      const files = filesUnder(fleet.dir).map((path) => ({ path, bytes: readFileSync(path) }));
      assert.ok(files.some((f) => f.path.endsWith('fleetpki.db')), 'the SQLite database is among the files scanned');
      for (const row of rows) {
        // The scan sees what the store wrote: each CA certificate is found.
        assert.ok(files.some((f) => f.bytes.includes(row.certificate_der)), `${moment}: ${row.name} certificate found (the scan reads the store)`);
        for (const needle of needles(keys.get(row.name)!)) {
          for (const file of files) {
            assert.equal(file.bytes.indexOf(needle.bytes), -1, `${moment}: ${needle.what} of ${row.name}'s key is in ${file.path}`);
          }
        }
      }
      // The passphrase lives only in its own file (the laptop default), never in the database.
      for (const file of files.filter((f) => !f.path.endsWith('ca-key-passphrase'))) {
        assert.equal(file.bytes.indexOf(passphrase), -1, `${moment}: the passphrase is in ${file.path}`);
      }
    };
    scan('store open');
    await fleet.ctx.ledger.idle();
    await fleet.ctx.store.close();
    scan('store closed');
  });

  it('the generated passphrase file and the admin token are readable by the owner only', () => {
    for (const name of ['ca-key-passphrase', 'admin-token']) {
      assert.equal(statSync(join(fleet.dir, name)).mode & 0o777, 0o600, name);
    }
  });
});

describe('unsealing', () => {
  let fleet: TestFleet;
  let passphrase: string;

  before(async () => {
    fleet = await openTestFleet();
    passphrase = fleet.ctx.passphrase();
  });
  after(() => fleet?.close());

  it('the wrong passphrase fails with KeyUnsealError, and the message holds neither passphrase', async () => {
    const row = (await getCaByName(fleet.ctx.db, 'devices-production'))!;
    const wrong = 'not-the-passphrase-8d2f41';
    assert.throws(
      () => unsealPrivateKey(row.encrypted_key!, wrong, row.id),
      (error: Error) => {
        assert.ok(error instanceof KeyUnsealError);
        assert.match(error.message, /wrong passphrase/);
        for (const secret of [wrong, passphrase]) assert.ok(!String(error.stack).includes(secret) && !inspect(error).includes(secret));
        return true;
      },
    );
  });

  it('a process started with the wrong passphrase cannot issue, and records nothing', async () => {
    const wrong = 'wrong-passphrase-for-this-fleet';
    const other = await openContext(fleet.ctx.config, { log: pino({ level: 'silent' }), env: { FLEETPKI_KEY_PASSPHRASE: wrong } });
    try {
      const device = await createDevice(other, { externalSerial: 'WRONG-PASS', deviceClass: 'sensor', environment: 'production' }, 'test');
      const before = await countCertificates(other.db, {});
      await assert.rejects(
        issueFromCsr(other, { csr: opensslCsr(fleet.dir, 'ec-p256').pem, profile: 'sensor', deviceId: device.id }, 'test'),
        (error: Error) => error instanceof KeyUnsealError && !error.message.includes(wrong) && !error.message.includes(passphrase),
      );
      assert.equal(await countCertificates(other.db, {}), before);
    } finally {
      await closeContext(other);
    }
  });

  it("a sealed key moved onto another CA's row does not open there (the CA id is bound in)", async () => {
    const production = (await getCaByName(fleet.ctx.db, 'devices-production'))!;
    const lab = (await getCaByName(fleet.ctx.db, 'devices-lab'))!;
    const root = (await getCaByName(fleet.ctx.db, 'fleet-root'))!;
    assert.throws(() => unsealPrivateKey(production.encrypted_key!, passphrase, lab.id), KeyUnsealError);
    assert.throws(() => unsealPrivateKey(root.encrypted_key!, passphrase, production.id), KeyUnsealError);

    // The same through the issuing path: the lab CA's row now carries the production key.
    await fleet.ctx.db.updateTable('cas').set({ encrypted_key: production.encrypted_key }).where('id', '=', lab.id).execute();
    fleet.ctx.cas.forget(lab.id);
    const device = await createDevice(fleet.ctx, { externalSerial: 'MOVED-KEY', deviceClass: 'sensor', environment: 'lab' }, 'test');
    const before = await countCertificates(fleet.ctx.db, {});
    await assert.rejects(
      issueFromCsr(fleet.ctx, { csr: opensslCsr(fleet.dir, 'ec-p256').pem, profile: 'lab-sensor', deviceId: device.id }, 'test'),
      KeyUnsealError,
    );
    assert.equal(await countCertificates(fleet.ctx.db, {}), before);
  });
});

describe('views and signers show no key material', () => {
  let fleet: TestFleet;
  let passphrase: string;

  before(async () => {
    fleet = await openTestFleet();
    passphrase = fleet.ctx.passphrase();
  });
  after(() => fleet?.close());

  it('CA views (list and one) carry the certificate, never the sealed or the plain key', async () => {
    const rows = await listCaRows(fleet.ctx.db);
    const views = [...(await listCas(fleet.ctx)), ...(await Promise.all(rows.map((r) => getCa(fleet.ctx, r.name))))];
    assert.equal(views.length, rows.length * 2);
    const json = JSON.stringify(views);
    for (const row of rows) {
      const sealed = JSON.parse(row.encrypted_key!.toString('utf8'));
      assert.ok(!json.includes(sealed.ct) && !json.includes(sealed.salt), `${row.name}: sealed key in the view`);
      for (const needle of needles(unsealPrivateKey(row.encrypted_key!, passphrase, row.id))) {
        assert.ok(!Buffer.from(json).includes(needle.bytes), `${row.name}: ${needle.what} in the view`);
      }
    }
    assert.ok(!json.includes(passphrase));
    for (const view of views) {
      assert.deepEqual(Object.keys(view).filter((k) => /key(?!Type$)|secret|sealed|encrypt/i.test(k) && k !== 'subjectKeyId'), ['hasKey']);
      assert.equal(view.hasKey, true);
      assert.match(view.certificatePem, /^-----BEGIN CERTIFICATE-----/);
    }
  });

  it('a SoftwareSigner serialises and inspects without its key, and so does an issuer holding one', async () => {
    const row = (await getCaByName(fleet.ctx.db, 'devices-production'))!;
    const key = unsealPrivateKey(row.encrypted_key!, passphrase, row.id);
    const signer = new SoftwareSigner(key);
    assert.deepEqual(JSON.parse(JSON.stringify(signer)), { signer: 'software', key: 'ec-p256' });
    const issuer = await fleet.ctx.cas.byName('devices-production');
    issuer.signer(fleet.ctx.passphrase); // unsealed and held in memory now
    for (const shown of [JSON.stringify(signer), inspect(signer, { showHidden: true, depth: 10 }), JSON.stringify(issuer), inspect(issuer, { showHidden: true, depth: 10 })]) {
      for (const needle of needles(key)) assert.ok(!Buffer.from(shown).includes(needle.bytes), `${needle.what} shown`);
      assert.ok(!shown.includes(passphrase));
    }
  });
});
