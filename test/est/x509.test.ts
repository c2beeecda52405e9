// The encodings and the path check EST relies on, judged by openssl where it has an opinion.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseCertificate } from '../../src/x509/certificate.ts';
import { chainToAnchor } from '../../src/x509/chain.ts';
import { decodeCertsOnly, encodeCertsOnly } from '../../src/x509/pkcs7.ts';
import { makeManufacturer, openssl, type EstFleet } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetpki-est-x509-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const files = { file: (name: string) => join(dir, name) } as EstFleet;

test('certs-only PKCS#7: openssl prints the certificates, and they decode back byte for byte', async () => {
  const maker = await makeManufacturer(files, 'pkcs7');
  const idevid = await maker.idevid('SN-1');
  const ders = [idevid.certFile, maker.caCert].map((f) => parseCertificate(readFileSync(f)).der);
  const cms = encodeCertsOnly(ders);
  const printed = await openssl(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], cms);
  assert.match(printed, /subject=O = pkcs7, CN = sensor, serialNumber = SN-1/);
  assert.match(printed, /subject=O = pkcs7, CN = pkcs7 IDevID Root CA/);
  assert.deepEqual(decodeCertsOnly(cms), ders);
});

test('chainToAnchor: through a presented intermediate to the anchor; refused when expired, unanchored or when a leaf poses as an issuer', async () => {
  const maker = await makeManufacturer(files, 'chain');
  const other = await makeManufacturer(files, 'other');
  const idevid = await maker.idevid('SN-2', { intermediate: true });
  const [leaf, intermediate] = readFileSync(idevid.chainFile, 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/).map((pem) => parseCertificate(pem));
  const anchor = parseCertificate(readFileSync(maker.caCert));
  const now = new Date();
  const ok = chainToAnchor(leaf, [intermediate], [anchor], now);
  assert.ok(ok.ok);
  assert.equal(ok.path.length, 2);
  const later = chainToAnchor(leaf, [intermediate], [anchor], new Date(Date.now() + 20 * 365 * 86_400_000));
  assert.ok(!later.ok && /expired/.test(later.reason));
  const missing = chainToAnchor(leaf, [], [anchor], now);
  assert.ok(!missing.ok && /no trusted issuer for "O = chain, CN = sensor, serialNumber = SN-2"|no trusted issuer/.test(missing.reason));
  const wrong = chainToAnchor(leaf, [intermediate], [parseCertificate(readFileSync(other.caCert))], now);
  assert.ok(!wrong.ok);
  const otherLeaf = parseCertificate(readFileSync((await maker.idevid('SN-3')).certFile));
  assert.ok(!chainToAnchor(leaf, [otherLeaf], [anchor], now).ok, 'an end-entity certificate is never an issuer on the path');
});
