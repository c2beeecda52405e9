// The offline root: two data directories, one holding the root (offline), one serving the
// fleet (online), and only files crossing between them: the root certificate and the CSR one
// way, the signed CA certificate the other. Checked with openssl as an operator would.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { extensionIn } from '../helpers/openssl.ts';
import { cli, fleet, ok, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-offline-');
const offline = fleet(join(dir, 'offline'));
const online = fleet(join(dir, 'online'));
const stranger = fleet(join(dir, 'stranger'));
/** The USB stick: the only thing both sides see. */
const usb = join(dir, 'usb');
const onUsb = (name: string) => join(usb, name);

before(async () => {
  mkdirSync(usb);
  await Promise.all([offline, online, stranger].map((f) => ok(cli(['init', '--data-dir', f.dataDir]))));
  writeFileSync(onUsb('root.pem'), await ok(offline.run('ca', 'chain', 'fleet-root')));
  await ok(online.run('ca', 'import-root', '--name', 'offline-root', '--cert', onUsb('root.pem')));
});

describe('offline root', () => {
  test('request online, sign offline, install online: the CA issues certificates that verify to the offline root', async () => {
    await ok(online.run('ca', 'request', '--name', 'devices-eu', '--common-name', 'Fleet Devices EU CA', '--organization', 'Fleet', '--out', onUsb('devices-eu.csr')));
    const pending = join(online.dataDir, 'pending-cas', 'devices-eu.json');
    assert.equal(statSync(pending).mode & 0o777, 0o600);
    assert.equal(statSync(join(online.dataDir, 'pending-cas')).mode & 0o777, 0o700);
    assert.doesNotMatch(readFileSync(pending, 'utf8'), /PRIVATE KEY/, 'the pending key is sealed, never in the clear');
    assert.match(execFileSync('openssl', ['req', '-in', onUsb('devices-eu.csr'), '-verify', '-noout', '-subject'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /O ?= ?Fleet, CN ?= ?Fleet Devices EU CA/);

    await ok(offline.run('--public-url', 'https://pki.example.com', 'ca', 'sign-request', '--csr', onUsb('devices-eu.csr'), '--parent', 'fleet-root', '--validity-days', '1826', '--out', onUsb('devices-eu.pem')));
    const text = execFileSync('openssl', ['x509', '-in', onUsb('devices-eu.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.deepEqual(extensionIn(text, 'X509v3 Basic Constraints'), { critical: true, lines: ['CA:TRUE, pathlen:0'], text: 'CA:TRUE, pathlen:0' });
    assert.equal(extensionIn(text, 'X509v3 Key Usage')?.critical, true);
    assert.match(extensionIn(text, 'X509v3 Key Usage')!.text, /Certificate Sign, CRL Sign/);
    assert.match(extensionIn(text, 'X509v3 CRL Distribution Points')!.text, /https:\/\/pki\.example\.com\/crl\/fleet-root\.crl/);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', onUsb('root.pem'), onUsb('devices-eu.pem')], { encoding: 'utf8' }), /OK/);
    const rootEnd = Date.parse(execFileSync('openssl', ['x509', '-in', onUsb('root.pem'), '-noout', '-enddate'], { encoding: 'utf8' }).slice(9));
    const caEnd = Date.parse(execFileSync('openssl', ['x509', '-in', onUsb('devices-eu.pem'), '-noout', '-enddate'], { encoding: 'utf8' }).slice(9));
    assert.ok(caEnd <= rootEnd, 'inside the root validity');
    const recorded = (await offline.json('ca', 'list')).find((c: { name: string }) => c.name === 'devices-eu');
    assert.equal(recorded.hasKey, false, 'the offline side records what it signed, without the key');

    const view = await online.json('ca', 'install', '--name', 'devices-eu', '--cert', onUsb('devices-eu.pem'));
    assert.equal(view.parent, 'offline-root');
    assert.equal(view.hasKey, true);
    assert.ok(!existsSync(pending), 'the pending file is gone once installed');

    writeFileSync(join(dir, 'eu-sensor.json'), JSON.stringify({ name: 'eu-sensor', ca: 'devices-eu', keys: { allowed: ['ec-p256'] }, validity: '30d', subject: { CN: '{{device.id}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] }));
    await ok(online.run('profile', 'set', join(dir, 'eu-sensor.json')));
    const device = await online.json('device', 'create', '--serial', 'EU-1', '--class', 'sensor', '--environment', 'production');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'eu-1.key'), '-subj', '/CN=eu-1', '-out', join(dir, 'eu-1.csr')], { stdio: 'ignore' });
    await ok(online.run('cert', 'issue', '--csr', join(dir, 'eu-1.csr'), '--profile', 'eu-sensor', '--device', device.id, '--out', join(dir, 'eu-1.pem')));
    assert.match(execFileSync('openssl', ['verify', '-CAfile', onUsb('root.pem'), '-untrusted', onUsb('devices-eu.pem'), join(dir, 'eu-1.pem')], { encoding: 'utf8' }), /OK/);
  });

  test('a certificate for another key, or from a root not imported here, is not installed', async () => {
    await ok(online.run('ca', 'request', '--name', 'devices-us', '--common-name', 'Fleet Devices US CA', '--out', onUsb('devices-us.csr')));
    // Another key: a request made elsewhere, signed by the right root.
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'other.key'), '-subj', '/CN=Other CA', '-out', onUsb('other.csr')], { stdio: 'ignore' });
    await ok(offline.run('ca', 'sign-request', '--csr', onUsb('other.csr'), '--parent', 'fleet-root', '--validity-days', '30', '--out', onUsb('other.pem')));
    const wrongKey = await online.run('ca', 'install', '--name', 'devices-us', '--cert', onUsb('other.pem'));
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /not for the key pending for devices-us/);
    // The right key, but signed by a root this instance never imported.
    await ok(stranger.run('ca', 'sign-request', '--csr', onUsb('devices-us.csr'), '--parent', 'fleet-root', '--validity-days', '30', '--out', onUsb('stranger.pem')));
    const unchained = await online.run('ca', 'install', '--name', 'devices-us', '--cert', onUsb('stranger.pem'));
    assert.equal(unchained.code, 1);
    assert.match(unchained.stderr, /does not chain to any root here/);
    assert.equal((await online.json('ca', 'list')).some((c: { name: string }) => c.name === 'devices-us'), false);
    // The pending key is still there for the right certificate.
    await ok(offline.run('ca', 'sign-request', '--csr', onUsb('devices-us.csr'), '--parent', 'fleet-root', '--validity-days', '30', '--out', onUsb('devices-us.pem')));
    await ok(online.run('ca', 'install', '--name', 'devices-us', '--cert', onUsb('devices-us.pem')));
  });
});
