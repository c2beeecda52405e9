// The CRL round trip of an offline root, with two data directories and only files crossing.
// A relying party checking the whole chain (`openssl verify -crl_check_all`, as nginx and
// Mosquitto with a crlfile do) needs a current CRL of the root too: without one it refuses
// every device certificate; after `crl request` online, `crl sign-request` offline and
// `crl import` online, the published crls.pem holds the root's CRL, a good device
// certificate passes and a revoked one is refused.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { cli, fleet, ok, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-offline-crl-root-');
const usb = join(dir, 'usb');
const onUsb = (name: string) => join(usb, name);
const published = join(dir, 'published');
const onlineConfig = join(dir, 'online.yaml');
const offline = fleet(join(dir, 'offline'));
const online = fleet(join(dir, 'online'), { FLEETPKI_CONFIG: onlineConfig });

function verifyAll(cert: string): { ok: boolean; output: string } {
  const r = spawnSync('openssl', ['verify', '-crl_check_all', '-CAfile', onUsb('root.pem'), '-untrusted', onUsb('devices-eu.pem'), '-CRLfile', join(published, 'crls.pem'), cert], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

async function issue(serial: string): Promise<{ id: string; file: string }> {
  const device = await online.json('device', 'create', '--serial', serial, '--class', 'sensor', '--environment', 'production');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${serial}.key`), '-subj', `/CN=${serial}`, '-out', join(dir, `${serial}.csr`)], { stdio: 'ignore' });
  const file = join(dir, `${serial}.pem`);
  const cert = await online.json('cert', 'issue', '--csr', join(dir, `${serial}.csr`), '--profile', 'eu-sensor', '--device', device.id, '--out', file);
  return { id: cert.id, file };
}

let good: { id: string; file: string };
let revoked: { id: string; file: string };

before(async () => {
  mkdirSync(usb);
  writeFileSync(onlineConfig, `crl:\n  publishDir: ${published}\n`);
  await ok(cli(['init', '--data-dir', offline.dataDir]));
  await ok(online.run('init'));
  // The offline-root flow of docs/factory.md: an issuing CA whose key is online, signed by the offline root.
  writeFileSync(onUsb('root.pem'), await ok(offline.run('ca', 'chain', 'fleet-root')));
  await ok(online.run('ca', 'import-root', '--name', 'offline-root', '--cert', onUsb('root.pem')));
  await ok(online.run('ca', 'request', '--name', 'devices-eu', '--common-name', 'Fleet Devices EU CA', '--organization', 'Fleet', '--out', onUsb('devices-eu.csr')));
  await ok(offline.run('ca', 'sign-request', '--csr', onUsb('devices-eu.csr'), '--parent', 'fleet-root', '--validity-days', '365', '--out', onUsb('devices-eu.pem')));
  await ok(online.run('ca', 'install', '--name', 'devices-eu', '--cert', onUsb('devices-eu.pem')));
  writeFileSync(join(dir, 'eu-sensor.json'), JSON.stringify({ name: 'eu-sensor', ca: 'devices-eu', keys: { allowed: ['ec-p256'] }, validity: '30d', subject: { CN: '{{device.id}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] }));
  await ok(online.run('profile', 'set', join(dir, 'eu-sensor.json')));
  good = await issue('EU-1');
  revoked = await issue('EU-2');
  await ok(online.run('cert', 'revoke', revoked.id, '--reason', 'keyCompromise'));
});

test('without the root CRL -crl_check_all fails; after the round trip it passes for a good certificate and refuses a revoked one', async () => {
  // The issuing CA's CRL is signed online; the root's cannot be.
  const before = await online.json('crl', 'publish');
  assert.deepEqual(before.missing, ['offline-root']);
  const noRoot = verifyAll(good.file);
  assert.equal(noRoot.ok, false);
  assert.match(noRoot.output, /unable to get certificate CRL/);

  const request = await online.json('crl', 'request', '--ca', 'offline-root', '--out', onUsb('root.crl-request.json'));
  // fleetpki cannot revoke a CA certificate, so the root has nothing to list: its CRL is required all the same.
  assert.deepEqual([request.revocations, request.crlNumberAbove], [0, 0]);
  const signed = await offline.json('crl', 'sign-request', onUsb('root.crl-request.json'), '--out', onUsb('root-crls'));
  assert.deepEqual([signed.ca, signed.onlineName, signed.files], ['fleet-root', 'offline-root', ['full.crl']]);
  // The root is fleet-root offline and offline-root online: the certificates it signed name
  // /crl/fleet-root.crl, which the online instance serves for its own root. Said, not hidden.
  assert.match(signed.warnings[0], /under http:\/\/127\.0\.0\.1:7080\/crl\/fleet-root .* serves them under http:\/\/127\.0\.0\.1:7080\/crl\/offline-root/);

  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', onUsb('root-crls/full.crl'), '-noout', '-text', '-CAfile', onUsb('root.pem')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(text, /X509v3 CRL Number: *\n *1\n/);
  assert.match(text, /X509v3 Authority Key Identifier/);
  assert.match(text, /No Revoked Certificates/);

  const imported = await online.json('crl', 'import', onUsb('root-crls'));
  assert.deepEqual(imported.imported.map((i: { ca: string }) => i.ca), ['offline-root']);
  assert.deepEqual(imported.publication.missing, []);
  assert.match(readFileSync(join(published, 'offline-root.crl.pem'), 'utf8'), /^-----BEGIN X509 CRL-----/);

  const passes = verifyAll(good.file);
  assert.ok(passes.ok, passes.output);
  const refused = verifyAll(revoked.file);
  assert.equal(refused.ok, false);
  assert.match(refused.output, /certificate revoked/);

  // Stored as the root's current CRL: listed, shown, and kept by a later publication.
  const listed = (await online.json('crl', 'list', '--ca', 'offline-root')).items;
  assert.deepEqual(listed.map((c: { partition: string; crlNumber: number }) => [c.partition, c.crlNumber]), [['full', 1]]);
  assert.deepEqual((await online.json('crl', 'publish')).missing, []);
  assert.ok(verifyAll(good.file).ok);

  // The same folder again is an old CRL: refused, nothing changes.
  const replay = await online.run('crl', 'import', onUsb('root-crls'));
  assert.equal(replay.code, 1);
  assert.match(replay.stderr, /already has CRL number 1 here; .*full\.crl \(number 1\) is not newer/);

  // A second round trip numbers above the first.
  await ok(online.run('crl', 'request', '--ca', 'offline-root', '--out', onUsb('root-2.crl-request.json')));
  const second = await offline.json('crl', 'sign-request', onUsb('root-2.crl-request.json'), '--out', onUsb('root-crls-2'));
  assert.deepEqual(second.crlNumbers, [2]);
  assert.equal((await online.json('crl', 'import', onUsb('root-crls-2'))).imported[0].crls[0].crlNumber, 2);

  const events = (await online.json('audit', 'list', '--action', 'crl.import')).items.map((e: { outcome: string }) => e.outcome);
  assert.deepEqual(events.sort(), ['refused', 'success', 'success']);
  const verified = await online.run('audit', 'verify');
  assert.equal(verified.code, 0, verified.stderr);
});
