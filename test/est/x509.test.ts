// The encodings and the path check EST relies on, judged by openssl where it has an opinion.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** A certificate made by openssl with exactly the extensions given; self-signed when `issuer` is null. */
async function make(name: string, issuer: { pem: string; key: string } | null, ext: string): Promise<{ pem: string; key: string }> {
  const stem = join(dir, name);
  const extFile = `${stem}.ext`;
  writeFileSync(extFile, `[x]\n${ext}\n`);
  if (issuer === null) {
    // openssl req wants a distinguished_name section in a config file of its own.
    writeFileSync(extFile, `[req]\ndistinguished_name=dn\n[dn]\n[x]\n${ext}\n`);
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}.key`, '-out', `${stem}.pem`, '-days', '30', '-subj', `/CN=${name}`, '-config', extFile, '-extensions', 'x']);
  } else {
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', `/CN=${name}`]);
    await openssl(['x509', '-req', '-in', `${stem}.csr`, '-CA', issuer.pem, '-CAkey', issuer.key, '-CAcreateserial', '-days', '30', '-extfile', extFile, '-extensions', 'x', '-out', `${stem}.pem`]);
  }
  return { pem: `${stem}.pem`, key: `${stem}.key` };
}

const CA = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
const LEAF = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth';
const info = (file: { pem: string }) => parseCertificate(readFileSync(file.pem));

/** OpenSSL's verdict on the same path, so each refusal below is one the independent tool makes too. */
async function opensslAccepts(leaf: { pem: string }, intermediates: Array<{ pem: string }>, root: { pem: string }, purpose = 'sslclient'): Promise<boolean> {
  const untrusted = join(dir, `untrusted-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(untrusted, intermediates.map((i) => readFileSync(i.pem, 'utf8')).join(''));
  const args = ['verify', '-CAfile', root.pem, ...(intermediates.length ? ['-untrusted', untrusted] : []), '-purpose', purpose, leaf.pem];
  return openssl(args).then(() => true, () => false);
}

test('chainToAnchor: RFC 5280 6.1 checks on every issuer (cA, keyCertSign, pathLenConstraint) and the leaf usage, agreeing with openssl verify', async () => {
  const root = await make('rfc-root', null, CA);
  const rootPathLen0 = await make('rfc-root-pl0', null, `${CA}\nbasicConstraints=critical,CA:TRUE,pathlen:0`);
  const mid = await make('rfc-mid', root, CA);
  const midPathLen0 = await make('rfc-mid-pl0', root, 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign');
  const notCa = await make('rfc-not-ca', root, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign');
  const noCertSign = await make('rfc-no-certsign', root, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,cRLSign,digitalSignature');

  const cases: Array<{ what: string; leaf: { pem: string }; via: Array<{ pem: string }>; anchor: { pem: string }; reason: RegExp | null }> = [];
  const add = async (what: string, issuer: { pem: string; key: string }, ext: string, via: Array<{ pem: string }>, anchor: { pem: string }, reason: RegExp | null) =>
    cases.push({ what, leaf: await make(`rfc-leaf-${cases.length}`, issuer, ext), via, anchor, reason });

  await add('a good leaf under a good intermediate', mid, LEAF, [mid], root, null);
  await add('a leaf without key usage or EKU (any use)', mid, 'basicConstraints=critical,CA:FALSE', [mid], root, null);
  await add('an intermediate that is not a CA', notCa, LEAF, [notCa], root, /"CN=rfc-not-ca" is not a CA certificate \(basicConstraints cA is not set\)/);
  await add('an intermediate without keyCertSign', noCertSign, LEAF, [noCertSign], root, /"CN=rfc-no-certsign" does not allow keyCertSign/);
  const below0 = await make('rfc-under-pl0', midPathLen0, CA);
  await add('an intermediate below one with pathlen:0', below0, LEAF, [below0, midPathLen0], root, /"CN=rfc-mid-pl0" allows 0 intermediate CA certificate\(s\) below it \(pathLenConstraint\), the path has 1/);
  await add('pathlen:0 with the leaf right below it', midPathLen0, LEAF, [midPathLen0], root, null);
  const underPl0Root = await make('rfc-mid-under-root-pl0', rootPathLen0, CA);
  await add("an intermediate below an anchor with pathlen:0 (the anchor's constraint holds too)", underPl0Root, LEAF, [underPl0Root], rootPathLen0, /"CN=rfc-root-pl0" allows 0 intermediate/);
  await add('a leaf without digitalSignature', mid, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment', [mid], root, /does not allow digitalSignature in its key usage/);
  await add('a leaf for servers only', mid, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth', [mid], root, /extended key usage without clientAuth/);
  await add('a leaf with anyExtendedKeyUsage only (OpenSSL refuses it for sslclient too)', mid, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=anyExtendedKeyUsage', [mid], root, /extended key usage without clientAuth/);

  const now = new Date(); // after the certificates were made: their notBefore is the second they were signed
  for (const c of cases) {
    const result = chainToAnchor(info(c.leaf), c.via.map(info), [info(c.anchor)], now, { purpose: 'clientAuth' });
    if (c.reason === null) assert.ok(result.ok, `${c.what}: ${result.ok ? '' : result.reason}`);
    else assert.ok(!result.ok && c.reason.test(result.reason), `${c.what}: ${result.ok ? 'accepted' : result.reason}`);
    assert.equal(await opensslAccepts(c.leaf, c.via, c.anchor), c.reason === null, `openssl verify -purpose sslclient agrees: ${c.what}`);
  }
  // Without a purpose only the path is judged: a server-only leaf still chains.
  const serverOnly = cases.find((c) => c.what === 'a leaf for servers only')!;
  assert.ok(chainToAnchor(info(serverOnly.leaf), serverOnly.via.map(info), [info(serverOnly.anchor)], now).ok);
});
