// fleetpki's firmware signatures checked by the real `openssl cms -verify` (binary, detached,
// against the code-signing chain), and signatures made by `openssl cms -sign` checked by
// fleetpki's verifier: OpenSSL is the independent oracle in both directions.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { verifyFirmware } from '../../src/firmware/verify.ts';
import { openFirmwareFleet, type FirmwareFleet } from './fixture.ts';

let f: FirmwareFleet;
before(async () => (f = await openFirmwareFleet()));
after(() => f.close());

function opensslVerify(content: string, signature: string, bundle: string): { ok: boolean; stderr: string } {
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-content', content, '-in', signature, '-CAfile', bundle, '-purpose', 'any', '-out', '/dev/null'];
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: run.status === 0, stderr: run.stderr };
}

describe('openssl cms -verify accepts what fleetpki signs', () => {
  for (const key of ['ec-p256', 'ec-p384', 'rsa-3072'] as const) {
    test(`${key} signer: image and manifest signatures verify against the code-signing chain`, async () => {
      const signer = await f.newSigner(key);
      const image = f.image(`image-${key}.bin`, 300_000);
      const files = await f.sign(signer, image);
      const imageCheck = opensslVerify(image, files.signature, f.bundleFile);
      assert.ok(imageCheck.ok, imageCheck.stderr);
      assert.match(imageCheck.stderr, /Verification successful/);
      assert.ok(opensslVerify(files.manifest, files.manifestSignature, f.bundleFile).ok);
      const verified = await verifyFirmware(f.inputs(image, files, { revocation: { crl: await f.crl() } }));
      assert.equal(verified.signer.serial, signer.cert.serial_hex);
    });
  }

  test('the signature is detached, with contentType, signingTime and messageDigest signed, and carries the signer and CA certificates', async () => {
    const signer = await f.newSigner();
    const image = f.image('printed.bin');
    const files = await f.sign(signer, image);
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', files.signature], { encoding: 'utf8' });
    assert.match(printed, /eContentType: pkcs7-data[\s\S]*?eContent: <ABSENT>/);
    for (const attribute of ['contentType', 'signingTime', 'messageDigest']) assert.match(printed, new RegExp(`object: ${attribute} `));
    const certs = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-in', files.signature, '-print_certs', '-noout'], { encoding: 'utf8' });
    assert.match(certs, new RegExp(`subject=O ?= ?fleetpki, OU ?= ?release signing, CN ?= ?${signer.cert.device_id}`));
    assert.match(certs, /subject=O ?= ?fleetpki, CN ?= ?fleetpki Code Signing CA/);
    assert.doesNotMatch(certs, /subject=.*Root CA/, 'the root is the trust anchor, not carried');
  });

  test('openssl refuses a tampered image and an image checked against another CA', async () => {
    const signer = await f.newSigner();
    const image = f.image('tamper-openssl.bin');
    const files = await f.sign(signer, image);
    const bytes = readFileSync(image);
    bytes[100] ^= 1;
    writeFileSync(image, bytes);
    assert.match(opensslVerify(image, files.signature, f.bundleFile).stderr, /content verify error/);
    bytes[100] ^= 1;
    writeFileSync(image, bytes);
    const devicesChain = `${f.dir}/devices-chain.pem`;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${f.dir}/other.key`, '-out', devicesChain, '-subj', '/CN=other root', '-days', '1'], { stdio: 'ignore' });
    assert.match(opensslVerify(image, files.signature, devicesChain).stderr, /unable to get local issuer certificate/);
  });
});

describe("fleetpki's verifier accepts what openssl cms -sign makes", () => {
  test('a detached openssl signature of the image and of a fleetpki manifest verifies', async () => {
    const signer = await f.newSigner();
    const image = f.image('openssl-signed.bin');
    const files = await f.sign(signer, image); // for the manifest; both signatures are then replaced
    for (const [content, signature] of [[image, files.signature], [files.manifest, files.manifestSignature]]) {
      const args = ['cms', '-sign', '-binary', '-outform', 'DER', '-in', content, '-signer', signer.certFile, '-inkey', signer.keyFile, '-certfile', f.bundleFile, '-out', signature];
      execFileSync('openssl', args, { stdio: 'ignore' });
    }
    const verified = await verifyFirmware(f.inputs(image, files, { revocation: { crl: await f.crl() } }));
    assert.equal(verified.signer.subject.includes(signer.cert.device_id!), true);
  });
});
