// Everything the verifier must refuse, one case per way an update can be wrong, each checked
// for its error class, the named check the device agent acts on, and a reason a person reads.
// Revocation uses CRLs signed by fleetpki's own CRL generator (src/revocation).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { caChainPem } from '../../src/app/cas.ts';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { putProfile } from '../../src/app/profiles.ts';
import { BadRequest, FleetPkiError, PolicyDenied } from '../../src/errors.ts';
import { firmwareFiles, type FirmwareFiles } from '../../src/firmware/file-names.ts';
import { verifyFirmware, type VerifyInput } from '../../src/firmware/verify.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { partitionOf } from '../../src/revocation/partition.ts';
import { DEFAULT_PROFILES } from '../../src/ra/default-profiles.ts';
import { openFirmwareFleet, type FirmwareFleet, type Signer } from './fixture.ts';

let f: FirmwareFleet;
let signer: Signer;
let image: string;
let files: FirmwareFiles;
let crl: string;

before(async () => {
  f = await openFirmwareFleet();
  signer = await f.newSigner();
  image = f.image('sensor-1.4.0.bin');
  files = await f.sign(signer, image, { minVersion: '0.9.0', models: ['S-100', 'S-200'] });
  crl = await f.crl();
});
after(() => f.close());

/** A copy of the signed image and its files under a new name, to tamper with. */
function copySigned(name: string): { image: string; files: FirmwareFiles } {
  const copy = join(f.dir, name);
  const copyFiles = firmwareFiles(copy);
  copyFileSync(image, copy);
  for (const key of Object.keys(files) as Array<keyof FirmwareFiles>) copyFileSync(files[key], copyFiles[key]);
  return { image: copy, files: copyFiles };
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] ^= 0x01;
  writeFileSync(path, bytes);
}

function valid(extra: Partial<VerifyInput> = {}): VerifyInput {
  return f.inputs(image, files, { revocation: { crl }, device: { deviceClass: 'sensor', model: 'S-100', installedVersion: '1.3.2' }, ...extra });
}

async function refused(input: VerifyInput, type: typeof BadRequest | typeof PolicyDenied, check: string, message: RegExp): Promise<void> {
  await assert.rejects(verifyFirmware(input), (error: FleetPkiError) => {
    assert.ok(error instanceof type, `${error.name}: ${error.message}`);
    assert.equal(error.details?.check, check, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('the untouched update verifies (the baseline every refusal differs from)', async () => {
  const verified = await verifyFirmware(valid());
  assert.equal(verified.manifest.version, '1.4.0');
  assert.equal(verified.revocation.source, 'crl');
});

test('tampered image: one bit changed is refused by the signature digest', async () => {
  const copy = copySigned('tampered.bin');
  flipByte(copy.image, 1000);
  await refused({ ...valid(), image: copy.image, ...copy.files }, PolicyDenied, 'image-signature', /image does not match its signature/);
});

test('tampered manifest: a changed version is refused by the manifest signature', async () => {
  const copy = copySigned('tampered-manifest.bin');
  writeFileSync(copy.files.manifest, readFileSync(copy.files.manifest, 'utf8').replace('"1.4.0"', '"9.4.0"'));
  await refused({ ...valid(), ...copy.files }, PolicyDenied, 'manifest-signature', /manifest has been changed since it was signed/);
});

test('wrong device class and wrong model', async () => {
  await refused(valid({ device: { deviceClass: 'gateway', model: 'S-100', installedVersion: '1.0.0' } }), PolicyDenied, 'device-class', /for device classes sensor, not gateway/);
  await refused(valid({ device: { deviceClass: 'sensor', model: 'S-999', installedVersion: '1.0.0' } }), PolicyDenied, 'device-model', /for models S-100, S-200, not S-999/);
  await refused(valid({ device: { deviceClass: 'sensor', installedVersion: '1.0.0' } }), PolicyDenied, 'device-model', /model not given/);
});

test('rollback: an older version than the installed one is refused, by semantic version order', async () => {
  await refused(valid({ device: { deviceClass: 'sensor', model: 'S-100', installedVersion: '1.10.0' } }), PolicyDenied, 'rollback', /1\.4\.0 is older than the installed 1\.10\.0/);
  await refused(valid({ device: { deviceClass: 'sensor', model: 'S-100', installedVersion: '1.4.1-rc.1' } }), PolicyDenied, 'rollback', /rollback refused/);
  const same = await verifyFirmware(valid({ device: { deviceClass: 'sensor', model: 'S-100', installedVersion: '1.4.0' } }));
  assert.equal(same.manifest.version, '1.4.0', 'reinstalling the same version is allowed');
  await refused(valid({ device: { deviceClass: 'sensor', model: 'S-100', installedVersion: '0.8.9' } }), PolicyDenied, 'min-version', /only be installed over 0\.9\.0 or later/);
  await refused(valid({ device: { deviceClass: 'sensor', model: 'S-100', installedVersion: 'v1.3' } }), BadRequest, 'inputs', /not a semantic version/);
});

test('the signer from another CA of the fleet is refused, even with the codeSigning usage', async () => {
  const base = DEFAULT_PROFILES.find((p) => p.name === 'code-signing')!;
  await putProfile(f.fleet.ctx, { ...base, name: 'rogue-code-signing', ca: 'devices-production' }, 'test');
  const rogue = await f.newSigner('ec-p256', 'rogue-code-signing');
  // fleetpki will not sign with it: only the code-signing CA's certificates sign firmware.
  await assert.rejects(f.sign(rogue, f.image('rogue-refused.bin')), (error: Error) => {
    assert.ok(error instanceof PolicyDenied);
    assert.match(error.message, /issued by CA devices-production, which may not sign firmware \(firmware\.signingCas: code-signing\)/);
    return true;
  });
  assert.equal((await f.fleet.ctx.db.selectFrom('firmware_signatures').select('id').where('certificate_id', '=', rogue.cert.id).execute()).length, 0, 'the refused signing is not recorded');
  // openssl will sign with it, carrying its CA: the verifier trusts the code-signing bundle only.
  const copy = copySigned('rogue.bin');
  const caFile = join(f.dir, 'devices-production.pem');
  writeFileSync(caFile, await caChainPem(f.fleet.ctx, 'devices-production'));
  for (const [content, signature] of [[copy.image, copy.files.signature], [copy.files.manifest, copy.files.manifestSignature]]) {
    execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', content, '-signer', rogue.certFile, '-inkey', rogue.keyFile, '-certfile', caFile, '-out', signature], { stdio: 'ignore' });
  }
  await refused({ ...valid(), ...copy.files, image: copy.image }, PolicyDenied, 'signer-chain', /not issued by a CA in the trusted code-signing bundle/);
});

test('a look-alike CA with the code-signing CA\'s name is refused', async () => {
  const d = f.dir;
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: d });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'fake-ca.key', '-out', 'fake-ca.pem', '-subj', '/O=fleetpki/CN=fleetpki Code Signing CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE']);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'fake.key', '-out', 'fake.csr', '-subj', '/CN=fake signer']);
  writeFileSync(join(d, 'fake.ext'), 'extendedKeyUsage=codeSigning\nkeyUsage=critical,digitalSignature\n');
  run(['x509', '-req', '-in', 'fake.csr', '-CA', 'fake-ca.pem', '-CAkey', 'fake-ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'fake.ext', '-out', 'fake.pem']);
  const copy = copySigned('lookalike.bin');
  for (const [content, signature] of [[copy.image, copy.files.signature], [copy.files.manifest, copy.files.manifestSignature]]) {
    run(['cms', '-sign', '-binary', '-outform', 'DER', '-in', content, '-signer', 'fake.pem', '-inkey', 'fake.key', '-certfile', 'fake-ca.pem', '-out', signature]);
  }
  await refused({ ...valid(), ...copy.files, image: copy.image }, PolicyDenied, 'signer-chain', /not issued by a CA in the trusted code-signing bundle/);
});

test('a certificate of the code-signing CA without the codeSigning usage is refused', async () => {
  const base = DEFAULT_PROFILES.find((p) => p.name === 'code-signing')!;
  await putProfile(f.fleet.ctx, { ...base, name: 'not-code-signing', extKeyUsage: ['clientAuth'] }, 'test');
  const wrong = await f.newSigner('ec-p256', 'not-code-signing');
  // fleetpki itself refuses to sign with it; openssl will, so the verifier must refuse too.
  await assert.rejects(f.sign(wrong, f.image('no-eku.bin')), /lacks the codeSigning extended key usage/);
  const copy = copySigned('no-eku-openssl.bin');
  for (const [content, signature] of [[copy.image, copy.files.signature], [copy.files.manifest, copy.files.manifestSignature]]) {
    execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', content, '-signer', wrong.certFile, '-inkey', wrong.keyFile, '-out', signature], { stdio: 'ignore' });
  }
  await refused({ ...valid(), ...copy.files, image: copy.image }, PolicyDenied, 'signer-usage', /lacks the codeSigning extended key usage/);
});

test('image and manifest signed by different certificates are refused', async () => {
  const second = await f.newSigner();
  const copy = copySigned('mixed.bin');
  const resigned = await f.sign(second, copy.image, { minVersion: '0.9.0', models: ['S-100', 'S-200'] });
  await refused({ ...valid(), image: copy.image, signature: resigned.signature, manifest: files.manifest, manifestSignature: files.manifestSignature }, PolicyDenied, 'signer-mismatch', /signed by different certificates/);
});

test('garbage in place of a signature, and a missing file, are bad input', async () => {
  const copy = copySigned('garbage.bin');
  writeFileSync(copy.files.signature, 'not a signature');
  await refused({ ...valid(), ...copy.files, image: copy.image }, BadRequest, 'image-signature', /image signature: .*neither PEM nor DER/);
  await refused({ ...valid(), image: join(f.dir, 'absent.bin') }, BadRequest, 'inputs', /cannot read image .*no such file/);
  await refused(valid({ trustBundle: Buffer.from('') }), BadRequest, 'trust-bundle', /holds no certificate/);
});

test('a trust bundle with an end-entity certificate, or a CA whose key usage forbids certificate signing, is bad input', async () => {
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: f.dir });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'no-certsign.key', '-out', 'no-certsign.pem', '-subj', '/CN=CA without keyCertSign', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,cRLSign']);
  const noCertSign = readFileSync(join(f.dir, 'no-certsign.pem'));
  await refused(valid({ trustBundle: Buffer.concat([readFileSync(f.bundleFile), noCertSign]) }), BadRequest, 'trust-bundle', /CA CN=CA without keyCertSign may not sign certificates \(its key usage lacks keyCertSign\)/);
  await refused(valid({ trustBundle: readFileSync(signer.certFile) }), BadRequest, 'trust-bundle', /must hold CA certificates only; .* is not a CA/);
});

test('a signing time ahead of the verifier\'s clock is refused', async () => {
  await refused(valid({ now: new Date(Date.now() - 3_600_000) }), PolicyDenied, 'signing-time', /is in the future/);
});

test('revocation: no source, a stale CRL online, a CRL for another partition; offline accepts the last CRL', async () => {
  await refused(valid({ revocation: {} }), PolicyDenied, 'revocation', /cannot be checked: give the code-signing CA's CRL or an OCSP URL/);
  const later = new Date(Date.now() + 3 * 86_400_000);
  await refused(valid({ now: later }), PolicyDenied, 'revocation', /CRL is out of date/);
  const offline = await verifyFirmware(valid({ now: later, revocation: { crl, offline: true } }));
  assert.equal(offline.revocation.source === 'crl' && offline.revocation.stale, true);
  await refused(valid({ revocation: { offline: true } }), PolicyDenied, 'revocation', /offline verification needs the last CRL/);

  const issuer = await f.fleet.ctx.cas.byName('code-signing');
  const own = partitionOf(signer.cert.not_after, signer.cert.serial_hex);
  const other = `${own.slice(0, -1)}${own.endsWith('0') ? '1' : '0'}`;
  const rows = await crlService(f.fleet.ctx).regenerate(issuer, { full: false, partitions: [own, other] });
  const write = (partition: string) => {
    const path = join(f.dir, `${partition}.crl`);
    writeFileSync(path, rows.find((r) => r.partition === partition)!.der);
    return path;
  };
  assert.equal((await verifyFirmware(valid({ revocation: { crl: write(own) } }))).revocation.source, 'crl');
  await refused(valid({ revocation: { crl: write(other) } }), PolicyDenied, 'revocation', /not the signer certificate's distribution point/);
  await refused(valid({ revocation: { crl: f.bundleFile } }), BadRequest, 'revocation', /CRL/);
});

test('a revoked signer is refused by the CRL fleetpki publishes (full and partitioned), offline too', async () => {
  const revokedSigner = await f.newSigner();
  const img = f.image('revoked.bin');
  const signed = await f.sign(revokedSigner, img);
  const before = await f.crl('before-revocation.crl');
  await revokeCertificate(f.fleet.ctx, revokedSigner.cert.id, 'keyCompromise', 'test');
  const after = await f.crl('after-revocation.crl');
  const input = (revocation: VerifyInput['revocation']) => f.inputs(img, signed, { revocation });
  assert.equal((await verifyFirmware(input({ crl: before }))).revocation.source, 'crl', 'the older CRL does not know yet');
  await refused(input({ crl: after }), PolicyDenied, 'revoked', new RegExp(`serial ${revokedSigner.cert.serial_hex}\\) was revoked on .* \\(keyCompromise\\)`));
  await refused(input({ crl: after, offline: true }), PolicyDenied, 'revoked', /was revoked/);
  const issuer = await f.fleet.ctx.cas.byName('code-signing');
  const partition = partitionOf(revokedSigner.cert.not_after, revokedSigner.cert.serial_hex);
  const [row] = await crlService(f.fleet.ctx).regenerate(issuer, { full: false, partitions: [partition] });
  writeFileSync(join(f.dir, 'partition.crl'), row.der);
  await refused(input({ crl: join(f.dir, 'partition.crl') }), PolicyDenied, 'revoked', /was revoked/);
  // openssl agrees: the same CRL makes `openssl cms -verify -crl_check` fail.
  const pemCrl = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', after], { encoding: 'utf8' });
  writeFileSync(join(f.dir, 'chain-and-crl.pem'), readFileSync(f.bundleFile, 'utf8') + pemCrl);
  const check = (args: string[]) => execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-content', img, '-in', signed.signature, '-CAfile', join(f.dir, 'chain-and-crl.pem'), '-purpose', 'any', '-out', '/dev/null', ...args], { stdio: 'pipe' });
  assert.throws(() => check(['-crl_check']), /certificate revoked/);
});

test('fleetpki refuses to sign with a revoked certificate, and the refusal is audited', async () => {
  const gone = await f.newSigner();
  await revokeCertificate(f.fleet.ctx, gone.cert.id, 'superseded', 'test');
  await assert.rejects(f.sign(gone, f.image('after-revoke.bin')), (error: FleetPkiError) => error instanceof PolicyDenied && /is revoked; it may not sign/.test(error.message));
  const events = await f.fleet.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'firmware.sign').where('outcome', '=', 'refused').execute();
  assert.ok(events.some((e) => JSON.parse(e.details).reason.includes('is revoked')));
});
