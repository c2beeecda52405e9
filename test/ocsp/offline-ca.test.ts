// OCSP for an issuing CA kept offline, with two data directories and only files crossing:
// the running online server answers `unauthorized` for the CA's certificates until a
// responder certificate comes back from the offline instance (`ocsp request` online, `ocsp
// sign-request` offline, `ocsp import` online); then the real `openssl ocsp` gets good, and
// revoked with its reason once the certificate is revoked online, each response verified
// against the chain and against the responder certificate itself (-VAfile). The online
// instance runs on PostgreSQL when FLEETPKI_TEST_PG_URL answers, on SQLite otherwise.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, fleet, ok, tempDir } from '../cli/run.ts';
import { setUpOfflineLine, startServe, type ServeProcess } from '../factory/offline-line.ts';
import { freePort } from '../helpers/free-port.ts';
import { postgresCase } from '../store/engines.ts';
import { openssl } from './helpers.ts';

const pg = await postgresCase();
const dir = tempDir('fleetpki-offline-ocsp-');
const usb = join(dir, 'usb');
const onUsb = (...names: string[]) => join(usb, ...names);
const offline = fleet(join(dir, 'offline'));
const onlineDir = join(dir, 'online');
const onlineConfig = join(dir, 'online.json');
const onlineEnv: Record<string, string> = { FLEETPKI_CONFIG: onlineConfig, ...(pg.skip ? {} : { FLEETPKI_DB_URL: pg.url }) };
const online = fleet(onlineDir, onlineEnv);
let base = '';
let server: ServeProcess | undefined;
const certs = new Map<string, { id: string; file: string }>();

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** `openssl ocsp` for one certificate of the offline CA, against the running online server. */
function query(serial: string, verify: string[] = ['-CAfile', join(dir, 'chain.pem')]) {
  return openssl(['ocsp', '-issuer', onUsb('line-ca.pem'), '-cert', certs.get(serial)!.file, '-url', `${base}/ocsp`, '-no_nonce', ...verify]);
}

/** Revocations made by another process (the CLI) reach `serve` by its poll (ocsp.revocationPollSeconds, 1 s here). */
async function untilAnswer(serial: string, pattern: RegExp): Promise<string> {
  let text = '';
  for (const started = Date.now(); Date.now() - started < 15_000; await new Promise((r) => setTimeout(r, 250))) {
    text = (await query(serial)).text;
    if (pattern.test(text)) return text;
  }
  assert.fail(`no answer matching ${pattern} within 15 s; last:\n${text}`);
}

before(async () => {
  if (pg.skip) console.log(`# the online instance runs on SQLite: ${pg.skip}`);
  mkdirSync(usb);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  writeFileSync(onlineConfig, JSON.stringify({ publicUrl: base, listen: { host: '127.0.0.1', port }, est: { enabled: false }, ocsp: { revocationPollSeconds: 1 } }));
  await ok(cli(['init', '--data-dir', offline.dataDir]));
  await ok(online.run('init'));

  // Offline: an issuing CA for a factory line and a profile issuing from it (the flow of
  // docs/factory.md); online: both CAs known by their certificates only, the devices, the
  // certificates signed offline.
  await setUpOfflineLine({ dir, usb, offline, online, base, serials: ['GW-1', 'GW-2'] });
  for (const cert of (await online.json('cert', 'list', '--issuer', 'line-ca')).items as Array<{ id: string; serial: string; device: { externalSerial: string } | null }>) {
    const shown = await online.json('cert', 'show', cert.id);
    const file = join(dir, `${cert.serial}.pem`);
    writeFileSync(file, shown.pem);
    certs.set(/serialNumber ?= ?(GW-\d)/.exec(execFileSync('openssl', ['x509', '-in', file, '-noout', '-subject'], { encoding: 'utf8' }))![1], { id: cert.id, file });
  }
  assert.deepEqual([...certs.keys()].sort(), ['GW-1', 'GW-2']);
  // The chain relying parties trust: the offline root and the offline issuing CA.
  writeFileSync(join(dir, 'chain.pem'), readFileSync(onUsb('root.pem'), 'utf8') + readFileSync(onUsb('line-ca.pem'), 'utf8'));
  server = await startServe(onlineDir, onlineEnv, base);
});

after(async () => {
  await server?.stop();
  await pg.cleanup();
});

test('the round trip gives the offline CA an OCSP responder: unauthorized before, good after, revoked once revoked online', async () => {
  const before = await query('GW-1');
  assert.match(before.text, /Responder Error: unauthorized \(6\)/, 'no signer for the offline CA yet');

  const request = await online.json('ocsp', 'request', '--ca', 'line-ca', '--out', onUsb('line-ca.ocsp-request.json'));
  assert.equal(request.sha256, sha256Of(onUsb('line-ca.ocsp-request.json')));
  const signed = await offline.json('ocsp', 'sign-request', onUsb('line-ca.ocsp-request.json'), '--days', '30', '--out', onUsb('line-ca-ocsp.pem'));
  assert.equal(signed.requestSha256, request.sha256, 'the operator compares the two digests');
  assert.deepEqual([signed.ca, signed.onlineName], ['line-ca', 'line-ca']);
  assert.equal(signed.sha256, sha256Of(onUsb('line-ca-ocsp.pem')));
  const days = (Date.parse(signed.notAfter) - Date.parse(signed.notBefore)) / 86_400_000;
  assert.equal(days, 30);

  // What openssl reads in the responder certificate: issued by the offline CA, for OCSP signing only.
  const text = (await openssl(['x509', '-in', onUsb('line-ca-ocsp.pem'), '-noout', '-text'])).stdout;
  assert.match(text, /Issuer: O ?= ?Fleet, CN ?= ?Line 3 Gateway CA\n/);
  assert.match(text, /Subject: O ?= ?Fleet, CN ?= ?Line 3 Gateway CA OCSP Responder/);
  assert.match(text, /X509v3 Extended Key Usage: *\n\s+OCSP Signing\n/);
  assert.match(text, /OCSP No Check/);
  assert.match(text, /CA:FALSE/);
  const verified = await openssl(['verify', '-purpose', 'ocsphelper', '-CAfile', onUsb('root.pem'), '-untrusted', onUsb('line-ca.pem'), onUsb('line-ca-ocsp.pem')]);
  assert.equal(verified.code, 0, verified.text);
  // The responder's key was made online: the public key in the certificate is the CSR's.
  const csrFile = join(dir, 'responder.csr');
  writeFileSync(csrFile, JSON.parse(readFileSync(onUsb('line-ca.ocsp-request.json'), 'utf8')).csr);
  const csrKey = (await openssl(['req', '-in', csrFile, '-noout', '-pubkey'])).stdout;
  assert.equal((await openssl(['x509', '-in', onUsb('line-ca-ocsp.pem'), '-noout', '-pubkey'])).stdout, csrKey);

  const imported = await online.json('ocsp', 'import', onUsb('line-ca-ocsp.pem'));
  assert.deepEqual([imported.ca, imported.serial, imported.notAfter, imported.sha256, imported.signer], ['line-ca', signed.serial, signed.notAfter, signed.sha256, request.request]);

  // The running server takes it up: good, verified by the chain and by the responder certificate alone.
  const good = await untilAnswer('GW-1', /: good/);
  assert.match(good, /Response verify OK/);
  const byVa = await query('GW-1', ['-VAfile', onUsb('line-ca-ocsp.pem')]);
  assert.match(byVa.stdout, /: good/, byVa.text);
  assert.match(byVa.text, /Response verify OK/);
  const nextUpdate = new Date(/Next Update: (.+ GMT)/.exec(good)![1]);
  assert.ok(nextUpdate.getTime() <= Date.parse(signed.notAfter), 'nextUpdate never passes the responder certificate');
  const withText = await query('GW-1', ['-CAfile', join(dir, 'chain.pem'), '-resp_text']);
  const ski = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(text)![1].replace(/:/g, '');
  assert.match(withText.stdout, new RegExp(`Responder Id: ${ski}`), 'signed by the imported responder');

  // Revoked online: the status comes from the inventory here, not from the offline side.
  await ok(online.run('cert', 'revoke', certs.get('GW-2')!.id, '--reason', 'keyCompromise'));
  const revoked = await untilAnswer('GW-2', /: revoked/);
  assert.match(revoked, /Reason: keyCompromise/);
  assert.match(revoked, /Response verify OK/);
  assert.match((await query('GW-1')).stdout, /: good/);

  // The same certificate again is a replay: refused, and the request it answered is gone.
  const replay = await online.run('ocsp', 'import', onUsb('line-ca-ocsp.pem'));
  assert.equal(replay.code, 1);
  assert.match(replay.stderr, /this responder certificate of CA line-ca is already imported/);

  // Audited on both sides, with the digests the operator compares.
  const [requested] = (await online.json('audit', 'list', '--action', 'ocsp.request', '--limit', '1')).items;
  assert.deepEqual([requested.outcome, requested.target, requested.details.sha256], ['success', 'ca:line-ca', request.sha256]);
  const [signEvent] = (await offline.json('audit', 'list', '--action', 'ocsp.sign-request', '--limit', '1')).items;
  assert.deepEqual([signEvent.outcome, signEvent.details.requestSha256, signEvent.details.serial], ['success', request.sha256, signed.serial]);
  assert.match(signEvent.details.certificate, /^[A-Za-z0-9+/]+=*$/, 'the certificate itself is on record offline');
  const imports = (await online.json('audit', 'list', '--action', 'ocsp.import')).items.map((e: { outcome: string }) => e.outcome);
  assert.deepEqual(imports.sort(), ['refused', 'success']);
  for (const side of [online, offline]) {
    const chain = await side.run('audit', 'verify');
    assert.equal(chain.code, 0, chain.stderr);
  }
});

test('ocsp request refuses a CA whose key is here and a CA it does not know, and stores nothing', async () => {
  const own = await online.run('ocsp', 'request', '--ca', 'devices-production', '--out', join(dir, 'own.json'));
  assert.equal(own.code, 1);
  assert.match(own.stderr, /CA devices-production holds its key here and issues and renews its own OCSP responder certificate/);
  const unknown = await online.run('ocsp', 'request', '--ca', 'no-such-ca', '--out', join(dir, 'unknown.json'));
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no CA named no-such-ca/);
  const refused = (await online.json('audit', 'list', '--action', 'ocsp.request')).items.filter((e: { outcome: string }) => e.outcome === 'refused');
  assert.deepEqual(refused.map((e: { target: string }) => e.target).sort(), ['ca:devices-production', 'ca:no-such-ca']);
  // Offline, a request for a CA without its key there (the online side's own, say) is refused too.
  const wrongSide = await online.run('ocsp', 'sign-request', onUsb('line-ca.ocsp-request.json'), '--out', join(dir, 'nope.pem'));
  assert.equal(wrongSide.code, 1);
  assert.match(wrongSide.stderr, /CA line-ca has no key here either: run ocsp sign-request on the instance that holds its key/);
});
