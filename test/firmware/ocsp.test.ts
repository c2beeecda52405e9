// Revocation by OCSP, against a real `openssl ocsp` responder serving the code-signing CA's
// index (fleetpki's own responder is tested with its own suite): good, revoked, a response
// signed by someone else, and an unreachable responder with and without the CRL to fall back on.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { PolicyDenied, type FleetPkiError } from '../../src/errors.ts';
import type { FirmwareFiles } from '../../src/firmware/file-names.ts';
import { verifyFirmware } from '../../src/firmware/verify.ts';
import { unsealPrivateKey } from '../../src/signer/sealed-key.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { toPem } from '../../src/x509/pem.ts';
import { openFirmwareFleet, type FirmwareFleet } from './fixture.ts';
import { freePort } from '../helpers/free-port.ts';

let f: FirmwareFleet;
const responders: ChildProcess[] = [];
let good: { image: string; files: FirmwareFiles; cert: CertificatesTable };
let revoked: { image: string; files: FirmwareFiles; cert: CertificatesTable };
let goodUrl: string;
let impostorUrl: string;

const stamp = (date: Date) => date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';

function indexLine(cert: CertificatesTable, revokedAt?: Date): string {
  const status = revokedAt ? 'R' : 'V';
  return [status, stamp(new Date(cert.not_after)), revokedAt ? `${stamp(revokedAt)},keyCompromise` : '', cert.serial_hex.toUpperCase(), 'unknown', '/CN=signer'].join('\t');
}

/** Starts `openssl ocsp` and resolves once it listens. */
async function responder(index: string, signerCert: string, signerKey: string, caCert: string): Promise<string> {
  const port = await freePort();
  const child = spawn('openssl', ['ocsp', '-index', index, '-port', String(port), '-rsigner', signerCert, '-rkey', signerKey, '-CA', caCert, '-nmin', '60', '-ignore_err'], { stdio: ['ignore', 'pipe', 'pipe'] });
  responders.push(child);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => chunk.toString().toLowerCase().includes('waiting for ocsp client connections') && resolve();
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`openssl ocsp exited ${code}`)));
  });
  return `http://127.0.0.1:${port}`;
}

before(async () => {
  f = await openFirmwareFleet();
  const { ctx } = f.fleet;
  for (const which of ['good', 'revoked'] as const) {
    const signer = await f.newSigner();
    const image = f.image(`${which}.bin`);
    const entry = { image, files: await f.sign(signer, image), cert: signer.cert };
    if (which === 'good') good = entry;
    else revoked = entry;
  }
  const ca = (await ctx.cas.byName('code-signing')).row;
  const caCert = join(f.dir, 'cs-ca.pem');
  const caKey = join(f.dir, 'cs-ca.key');
  writeFileSync(caCert, toPem(ca.certificate_der, 'CERTIFICATE'));
  writeFileSync(caKey, unsealPrivateKey(ca.encrypted_key!, ctx.passphrase(), ca.id).export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  const index = join(f.dir, 'index.txt');
  writeFileSync(index, `${indexLine(good.cert)}\n${indexLine(revoked.cert, new Date(Date.now() - 60_000))}\n`);
  goodUrl = await responder(index, caCert, caKey, caCert);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(f.dir, 'imp.key'), '-out', join(f.dir, 'imp.pem'), '-subj', '/CN=impostor responder', '-days', '1'], { stdio: 'ignore' });
  impostorUrl = await responder(index, join(f.dir, 'imp.pem'), join(f.dir, 'imp.key'), caCert);
});

after(async () => {
  for (const child of responders) child.kill();
  await f.close();
});

test('a good OCSP answer signed by the code-signing CA verifies the update', async () => {
  const verified = await verifyFirmware(f.inputs(good.image, good.files, { revocation: { ocspUrl: goodUrl } }));
  assert.equal(verified.revocation.source, 'ocsp');
  assert.ok(verified.revocation.source === 'ocsp' && Date.parse(verified.revocation.nextUpdate) > Date.now());
});

test('a revoked answer is refused, and is final even with a CRL to fall back on', async () => {
  const crl = await f.crl(); // fleetpki does not know of this revocation: OCSP must win
  for (const revocation of [{ ocspUrl: goodUrl }, { ocspUrl: goodUrl, crl }]) {
    await assert.rejects(verifyFirmware(f.inputs(revoked.image, revoked.files, { revocation })), (error: FleetPkiError) => {
      assert.ok(error instanceof PolicyDenied);
      assert.equal(error.details?.check, 'revoked');
      assert.match(error.message, /was revoked on .* \(OCSP\)/);
      return true;
    });
  }
});

test('an answer signed by a responder the CA never authorised is refused', async () => {
  await assert.rejects(verifyFirmware(f.inputs(good.image, good.files, { revocation: { ocspUrl: impostorUrl } })), /OCSP response is not signed by O=fleetpki, CN=fleetpki Code Signing CA or a responder it authorised/);
});

test('an unreachable responder falls back to the CRL, and is refused without one', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const fallback = await verifyFirmware(f.inputs(good.image, good.files, { revocation: { ocspUrl: dead, crl: await f.crl() } }));
  assert.equal(fallback.revocation.source, 'crl');
  assert.match((fallback.revocation as { ocspFailure?: string }).ocspFailure ?? '', /could not be reached/);
  await assert.rejects(verifyFirmware(f.inputs(good.image, good.files, { revocation: { ocspUrl: dead } })), (error: FleetPkiError) => error.details?.check === 'revocation' && /could not be reached/.test(error.message));
});
