// The CRL round trip of an offline issuing CA, with two data directories and only files
// crossing: a factory line's certificates signed offline and imported online, one revoked
// online; before the round trip the URL the certificates carry answers 404, after it the
// running online server serves there a CRL signed by the offline CA that lists the revoked
// certificate, and `openssl verify -crl_check -crl_download`, which fetches the CRL from the
// certificate's own distribution point, refuses it and accepts the others.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseCrl } from '../../src/x509/crl.ts';
import { cli, fleet, ok, tempDir } from '../cli/run.ts';
import { crlDpOf } from '../crl/harness.ts';
import { setUpOfflineLine, startServe, type ServeProcess } from './offline-line.ts';
import { freePort } from '../helpers/free-port.ts';

const dir = tempDir('fleetpki-offline-crl-issuing-');
const usb = join(dir, 'usb');
const onUsb = (...names: string[]) => join(usb, ...names);
const offline = fleet(join(dir, 'offline'));
const onlineDir = join(dir, 'online');
const onlineConfig = join(dir, 'online.json');
const published = join(dir, 'published');
let base = '';
const onlineEnv = { FLEETPKI_CONFIG: onlineConfig };
const online = fleet(onlineDir, onlineEnv);
let server: ServeProcess | undefined;

before(async () => {
  mkdirSync(usb);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The online instance serves at the URL the offline one writes into certificates.
  writeFileSync(onlineConfig, JSON.stringify({ publicUrl: base, listen: { host: '127.0.0.1', port }, est: { enabled: false }, crl: { publishDir: published } }));
  await ok(cli(['init', '--data-dir', offline.dataDir]));
  await ok(online.run('init'));

  // Offline: an issuing CA for the line, under the same name it will have online (its CRL
  // URLs name it), and a profile issuing from it; online: both CAs without their keys, the
  // profile, the devices, the certificates signed offline.
  await setUpOfflineLine({ dir, usb, offline, online, base, serials: ['GW-1', 'GW-2', 'GW-3'] });
  writeFileSync(join(dir, 'chain.pem'), await ok(online.run('ca', 'chain', 'line-ca')));
  server = await startServe(onlineDir, onlineEnv, base);
});

after(async () => {
  await server?.stop();
});

function verifyDownloading(certFile: string): { ok: boolean; output: string } {
  const r = spawnSync('openssl', ['verify', '-crl_check', '-crl_download', '-CAfile', join(dir, 'chain.pem'), certFile], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

test('a certificate of an offline issuing CA revoked online is on the CRL served at its distribution point after the round trip', async () => {
  const certs = (await online.json('cert', 'list', '--issuer', 'line-ca')).items as Array<{ id: string; serial: string }>;
  assert.equal(certs.length, 3);
  const files = new Map<string, string>();
  for (const cert of certs) {
    const file = join(dir, `${cert.serial}.pem`);
    writeFileSync(file, (await online.json('cert', 'show', cert.id)).pem);
    files.set(cert.serial, file);
  }
  const [victim, ...kept] = certs;
  const victimDp = crlDpOf(readFileSync(files.get(victim.serial)!, 'utf8'));
  assert.match(victimDp, new RegExp(`^${base}/crl/line-ca/\\d{6}-[0-9a-f]\\.crl$`), 'a partition of the CA, under the online URL');

  await ok(online.run('cert', 'revoke', victim.id, '--reason', 'keyCompromise'));
  // Nothing online can sign for the CA: its distribution point answers 404 and openssl cannot check.
  const before = await fetch(victimDp);
  assert.equal(before.status, 404);
  assert.match(((await before.json()) as { error: { message: string } }).error.message, /kept offline .*crl request/);
  assert.equal(verifyDownloading(files.get(kept[0].serial)!).ok, false, 'no CRL, no verification with -crl_check');

  // The round trip: request online, sign offline, import online.
  const request = await online.json('crl', 'request', '--ca', 'line-ca', '--out', onUsb('line-ca.crl-request.json'));
  assert.deepEqual([request.revocations, request.crlNumberAbove], [1, 0]);
  const signed = await offline.json('--public-url', base, 'crl', 'sign-request', onUsb('line-ca.crl-request.json'), '--out', onUsb('line-ca-crls'));
  assert.equal(signed.requestSha256, request.sha256, 'the operator compares the two digests');
  assert.deepEqual(signed.warnings, []);
  assert.deepEqual(signed.applied.map((a: { serial: string; status: string; reason: string }) => [a.serial, a.status, a.reason]), [[victim.serial, 'revoked', 'keyCompromise']]);
  const offlineCert = (await offline.json('cert', 'list', '--issuer', 'line-ca', '--status', 'revoked')).items;
  assert.deepEqual(offlineCert.map((c: { serial: string }) => c.serial), [victim.serial], 'the offline inventory has the revocation too');
  const partition = victimDp.slice(`${base}/crl/line-ca/`.length, -'.crl'.length);
  assert.ok(signed.files.includes('full.crl') && signed.files.includes(`${partition}.crl`), `partitions signed: ${signed.files.join(' ')}`);
  assert.deepEqual(readdirSync(onUsb('line-ca-crls')).sort(), [...signed.files].sort());

  const imported = await online.json('crl', 'import', onUsb('line-ca-crls'));
  assert.equal(imported.imported[0].ca, 'line-ca');
  assert.equal(imported.imported[0].crls.length, signed.files.length);

  // The running server now serves, at the URL the certificate carries, the offline CA's partition listing it.
  const served = await fetch(victimDp);
  assert.equal(served.status, 200);
  const der = Buffer.from(await served.arrayBuffer());
  const crl = parseCrl(der);
  assert.equal(crl.distributionPoint, victimDp);
  assert.deepEqual(crl.entries.map((e) => [e.serialHex, e.reason]), [[victim.serial, 'keyCompromise']]);
  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text', '-CAfile', join(dir, 'chain.pem')], { input: der, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.match(text, /Issuer: O ?= ?Fleet, CN ?= ?Line 3 Gateway CA/);
  assert.match(text, new RegExp(`Serial Number: ${victim.serial}`, 'i'));

  // openssl fetches each certificate's CRL from its distribution point, and judges.
  const refused = verifyDownloading(files.get(victim.serial)!);
  assert.equal(refused.ok, false);
  assert.match(refused.output, /certificate revoked/);
  for (const cert of kept) {
    const verdict = verifyDownloading(files.get(cert.serial)!);
    assert.ok(verdict.ok, verdict.output);
  }
  // And from the published files, for gateways that read crls.pem.
  const fromFile = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'chain.pem'), '-CRLfile', join(published, 'line-ca.crl.pem'), files.get(victim.serial)!], { encoding: 'utf8' });
  assert.match(`${fromFile.stdout}${fromFile.stderr}`, /certificate revoked/);

  // Audited on both sides.
  const [requested] = (await online.json('audit', 'list', '--action', 'crl.request', '--limit', '1')).items;
  assert.deepEqual([requested.target, requested.details.sha256], ['ca:line-ca', request.sha256]);
  const [signEvent] = (await offline.json('audit', 'list', '--action', 'crl.sign-request', '--limit', '1')).items;
  assert.deepEqual([signEvent.outcome, signEvent.details.requestSha256, signEvent.details.applied], ['success', request.sha256, [victim.serial]]);
  const revokeEvents = (await offline.json('audit', 'list', '--action', 'certificate.revoke')).items;
  assert.equal(revokeEvents.filter((e: { details: { source?: string } }) => e.details.source === 'crl request').length, 1);
  const [importEvent] = (await online.json('audit', 'list', '--action', 'crl.import', '--limit', '1')).items;
  assert.deepEqual([importEvent.outcome, importEvent.target], ['success', 'ca:line-ca']);
});
