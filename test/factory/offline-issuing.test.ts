// An issuing CA kept offline: its instance (a data directory of its own) signs a factory batch,
// and the folder it writes is carried to the online instance, which imports it: the
// certificates are then in the online inventory with their devices, revocable there, and
// verify with openssl against the CA chain and the CA bundle the online instance publishes. Bad entries are refused one by
// one and leave nothing behind. Only files cross between the data directories.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { cli, fleet, ok, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-offline-issuing-');
const offline = fleet(join(dir, 'offline'));
const online = fleet(join(dir, 'online'));
const stranger = fleet(join(dir, 'stranger'));
const usb = join(dir, 'usb');
const onUsb = (...names: string[]) => join(usb, ...names);

function csrs(folder: string, serials: string[]): void {
  mkdirSync(folder, { recursive: true });
  for (const serial of serials) {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${serial}.key`), '-subj', `/serialNumber=${serial}`, '-out', join(folder, `${serial}.csr`)], { stdio: 'ignore' });
  }
}

function devicesCsv(serials: string[]): string {
  const file = join(dir, `devices-${serials.join('-')}.csv`);
  writeFileSync(file, `serial,class,environment\n${serials.map((s) => `${s},gateway,production`).join('\n')}\n`);
  return file;
}

async function onlineDevice(serial: string) {
  return (await online.json('device', 'list', '--q', serial)).items.find((d: { externalSerial: string }) => d.externalSerial === serial);
}

async function offlineIssued() {
  return (await online.json('cert', 'list', '--issuer', 'offline-devices')).items as Array<{ id: string; deviceId: string; status: string; serial: string }>;
}

before(async () => {
  mkdirSync(usb);
  await Promise.all([offline, online, stranger].map((f) => ok(cli(['init', '--data-dir', f.dataDir]))));
  // Offline to online, once: the root, and the issuing CA (its certificate first, then the root).
  writeFileSync(onUsb('root.pem'), await ok(offline.run('ca', 'chain', 'fleet-root')));
  writeFileSync(onUsb('devices-ca.pem'), await ok(offline.run('ca', 'chain', 'devices-production')));
  await ok(online.run('ca', 'import-root', '--name', 'offline-root', '--cert', onUsb('root.pem')));
  const imported = await online.json('ca', 'import-issuing', '--name', 'offline-devices', '--cert', onUsb('devices-ca.pem'));
  assert.deepEqual([imported.kind, imported.parent, imported.hasKey], ['issuing', 'offline-root', false]);
  // Both inventories know the line's devices; GW-9 only the offline one.
  await ok(offline.run('device', 'import', devicesCsv(['GW-1', 'GW-2', 'GW-3', 'GW-4', 'GW-5', 'GW-6', 'GW-9'])));
  await ok(online.run('device', 'import', devicesCsv(['GW-1', 'GW-2', 'GW-3', 'GW-4', 'GW-5', 'GW-6'])));
  csrs(join(dir, 'line-a'), ['GW-1', 'GW-2', 'GW-3', 'GW-4', 'GW-9']);
  csrs(join(dir, 'line-b'), ['GW-5', 'GW-6']);
  await ok(offline.run('batch', 'sign', '--csr', join(dir, 'line-a'), '--profile', 'gateway', '--out', onUsb('line-a')));
  await ok(offline.run('batch', 'sign', '--csr', join(dir, 'line-b'), '--profile', 'gateway', '--out', onUsb('line-b')));
});

describe('an offline issuing CA', () => {
  test('a batch signed offline is imported online: in the inventory, revocable, verified by openssl', async () => {
    const signed = JSON.parse(readFileSync(onUsb('line-a', 'manifest.json'), 'utf8')).signed as Array<{ serial: string; certificateSerial: string; certificateId: string; file: string; profile: string }>;
    assert.deepEqual(signed.map((s) => [s.serial, s.profile]), [['GW-1', 'gateway'], ['GW-2', 'gateway'], ['GW-3', 'gateway'], ['GW-4', 'gateway'], ['GW-9', 'gateway']]);

    const result = await online.run('cert', 'import', '--bundle', onUsb('line-a'), '--json');
    assert.equal(result.code, 1, 'GW-9 is not registered online');
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.imported.map((i: { serial: string }) => i.serial), ['GW-1', 'GW-2', 'GW-3', 'GW-4']);
    assert.deepEqual(report.failed, [{ file: 'GW-9.pem', serial: 'GW-9', reason: 'no device with serial GW-9 here: register it first (fleetpki device import)' }]);
    assert.deepEqual(report.skipped, []);

    // In the inventory, with the online device, the same serial, dates and DER as signed offline.
    const inventory = await offlineIssued();
    assert.deepEqual(inventory.map((c) => c.id).sort(), report.imported.map((i: { certificateId: string }) => i.certificateId).sort());
    for (const entry of report.imported) {
      const fromOffline = signed.find((s) => s.serial === entry.serial)!;
      const cert = await online.json('cert', 'show', entry.certificateId);
      const device = await onlineDevice(entry.serial);
      assert.equal(cert.deviceId, device.id);
      assert.equal(device.status, 'active', 'a registered device becomes active with its first certificate');
      assert.equal(cert.serial, fromOffline.certificateSerial);
      assert.deepEqual([cert.status, cert.profile, cert.issuer], ['valid', 'gateway', 'offline-devices']);
      assert.equal(cert.pem, readFileSync(onUsb('line-a', entry.file), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]);
      const text = execFileSync('openssl', ['x509', '-noout', '-serial', '-fingerprint', '-sha256', '-enddate'], { input: cert.pem, encoding: 'utf8' });
      assert.match(text, new RegExp(`serial=${cert.serial}`, 'i'));
      assert.equal(text.match(/Fingerprint=(.*)/)![1].replace(/:/g, '').toLowerCase(), cert.fingerprintSha256);
      assert.equal(new Date(text.match(/notAfter=(.*)/)![1]).toISOString(), cert.notAfter);
    }

    // One audit event per certificate, naming its source file; the refusal; and the summary.
    const imports = (await online.json('audit', 'list', '--action', 'certificate.import')).items;
    assert.deepEqual(imports.filter((e: { outcome: string }) => e.outcome === 'success').map((e: { details: { source: string } }) => e.details.source).sort(), ['GW-1', 'GW-2', 'GW-3', 'GW-4'].map((s) => onUsb('line-a', `${s}.pem`)));
    const refused = imports.filter((e: { outcome: string }) => e.outcome === 'refused');
    assert.deepEqual(refused.map((e: { details: { source: string; code: string } }) => [e.details.source, e.details.code]), [[onUsb('line-a', 'GW-9.pem'), 'not_found']]);
    assert.ok(imports.every((e: { actor: string }) => e.actor.startsWith('cli:')));
    const gw1 = imports.find((e: { details: { deviceSerial: string } }) => e.details.deviceSerial === 'GW-1');
    assert.equal(gw1.details.sourceCertificateId, signed[0].certificateId, 'the certificate can be found on the offline instance too');
    const [summary] = (await online.json('audit', 'list', '--action', 'batch.import', '--limit', '1')).items;
    assert.deepEqual([summary.outcome, summary.details.total, summary.details.imported, summary.details.skipped, summary.details.bundle], ['success', 5, 4, 0, onUsb('line-a', 'manifest.json')]);

    // openssl against the chain as the online instance knows it (its own copies of the CA
    // certificates), the leaf alone: nothing from the bundle but the certificate is trusted.
    writeFileSync(join(dir, 'online-chain.pem'), await ok(online.run('ca', 'chain', 'offline-devices')));
    for (const entry of report.imported) {
      const leaf = join(dir, `leaf-${entry.serial}.pem`);
      writeFileSync(leaf, (await online.json('cert', 'show', entry.certificateId)).pem);
      assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'online-chain.pem'), leaf], { encoding: 'utf8' }), /OK/);
    }

    // The CA bundle published for gateways: left out by default (no profile here names the
    // CA), in it when crl.publishCas names it and its root, and then the leaf verifies as a client.
    const published = join(dir, 'published');
    writeFileSync(join(dir, 'default.yaml'), `crl:\n  publishDir: ${published}\n`);
    assert.ok(!(await online.json('--config', join(dir, 'default.yaml'), 'crl', 'publish')).bundle.includes('offline-devices'));
    writeFileSync(join(dir, 'named.yaml'), `crl:\n  publishDir: ${published}\n  publishCas: [offline-root, offline-devices]\n`);
    assert.deepEqual((await online.json('--config', join(dir, 'named.yaml'), 'crl', 'publish')).bundle, ['offline-root', 'offline-devices']);
    assert.match(execFileSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', join(published, 'ca-bundle.pem'), join(dir, 'leaf-GW-1.pem')], { encoding: 'utf8' }), /OK/);

    // Revocable online.
    const victim = report.imported[1];
    const revoked = await online.json('cert', 'revoke', victim.certificateId, '--reason', 'keyCompromise');
    assert.deepEqual([revoked.status, revoked.revocationReason], ['revoked', 'keyCompromise']);
    assert.deepEqual((await online.json('cert', 'list', '--issuer', 'offline-devices', '--status', 'revoked')).items.map((c: { id: string }) => c.id), [victim.certificateId]);
    // Its CRL is the offline instance's to sign: CRL generation here passes it by.
    await ok(online.run('crl', 'generate'));
    assert.ok(!(await online.json('crl', 'list')).items.some((c: { ca: string }) => c.ca === 'offline-devices'));

    // Importing the same folder again changes nothing: every certificate is already recorded.
    const again = JSON.parse((await online.run('cert', 'import', '--bundle', onUsb('line-a', 'manifest.json'), '--json')).stdout);
    assert.deepEqual([again.imported.length, again.skipped.length, again.failed.length], [0, 4, 1]);
    assert.equal((await offlineIssued()).length, 4);
    assert.equal((await online.json('cert', 'show', victim.certificateId)).status, 'revoked', 'a skipped certificate keeps its state');
  });

  test('each bad entry is refused with its reason and leaves nothing behind', async () => {
    const bad = onUsb('bad');
    mkdirSync(bad);
    const lineB = JSON.parse(readFileSync(onUsb('line-b', 'manifest.json'), 'utf8')).signed as Array<{ serial: string; file: string; certificateSerial: string }>;
    copyFileSync(onUsb('line-b', 'GW-5.pem'), join(bad, 'GW-5.pem'));
    // A certificate of a CA the online instance never heard of (openssl's own).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'rogue-ca.key'), '-subj', '/CN=Rogue CA', '-days', '30', '-out', join(dir, 'rogue-ca.pem')], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'rogue.key'), '-subj', '/serialNumber=GW-6', '-out', join(dir, 'rogue.csr')], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'rogue.csr'), '-CA', join(dir, 'rogue-ca.pem'), '-CAkey', join(dir, 'rogue-ca.key'), '-days', '30', '-out', join(bad, 'rogue.pem')], { stdio: 'ignore' });
    // A genuine offline certificate with one byte of its signature changed.
    const der = execFileSync('openssl', ['x509', '-in', onUsb('line-b', 'GW-6.pem'), '-outform', 'DER']);
    der[der.length - 1] ^= 0x01;
    writeFileSync(join(bad, 'tampered.der'), der);
    // The same issuer name and a valid signature, but by the stranger's CA of that name.
    await ok(stranger.run('device', 'import', devicesCsv(['GW-6'])));
    csrs(join(dir, 'line-stranger'), ['GW-6']);
    await ok(stranger.run('batch', 'sign', '--csr', join(dir, 'line-stranger'), '--profile', 'gateway', '--out', join(dir, 'stranger-out')));
    copyFileSync(join(dir, 'stranger-out', 'GW-6.pem'), join(bad, 'stranger.pem'));
    writeFileSync(join(bad, 'garbage.pem'), 'not a certificate\n');
    copyFileSync(onUsb('devices-ca.pem'), join(bad, 'ca.pem'));
    writeFileSync(
      join(bad, 'manifest.json'),
      JSON.stringify({
        signed: [
          { file: 'GW-5.pem', serial: 'GW-6', profile: 'gateway' }, // the manifest names another device than the certificate
          { file: 'rogue.pem', serial: 'GW-6', profile: 'gateway' },
          { file: 'tampered.der', serial: 'GW-6', profile: 'gateway' },
          { file: 'stranger.pem', serial: 'GW-6', profile: 'gateway' },
          { file: 'garbage.pem', serial: 'GW-6', profile: 'gateway' },
          { file: 'ca.pem', serial: 'GW-6', profile: 'gateway' },
          { file: 'missing.pem', serial: 'GW-6', profile: 'gateway' },
          { file: '../line-b/GW-6.pem', serial: 'GW-6', profile: 'gateway' },
          { file: 'GW-5.pem', serial: 'GW-5', profile: 'no-such-profile' },
          { file: 'GW-5.pem', serial: 'GW-5', profile: 'gateway', certificateSerial: '01' },
        ],
      }),
    );
    const before = await offlineIssued();
    const result = await online.run('cert', 'import', '--bundle', bad, '--json');
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.imported, []);
    const reasons = new Map<string, string[]>();
    for (const f of report.failed as Array<{ file: string; reason: string }>) reasons.set(f.file, [...(reasons.get(f.file) ?? []), f.reason]);
    assert.match(reasons.get('rogue.pem')![0], /issued by "CN=Rogue CA", which is no CA this instance knows/);
    assert.match(reasons.get('tampered.der')![0], /its signature does not verify with the key of CA/);
    assert.match(reasons.get('stranger.pem')![0], /its signature does not verify with the key of CA devices-production or offline-devices/);
    assert.match(reasons.get('garbage.pem')![0], /holds no certificate/);
    assert.match(reasons.get('ca.pem')![0], /it is a CA certificate, not a device certificate/);
    assert.match(reasons.get('missing.pem')![0], /cannot read missing\.pem .*: no such file/);
    assert.match(reasons.get('../line-b/GW-6.pem')![0], /is not a file name inside the bundle folder/);
    // GW-5.pem three times: the first read wins the file, the others are the same certificate again.
    assert.deepEqual(reasons.get('GW-5.pem')!.filter((r) => /listed twice/.test(r)).length, 2);
    assert.ok(reasons.get('GW-5.pem')!.some((r) => /the manifest says device GW-6, but the certificate's subject serialNumber is GW-5/.test(r)));
    assert.equal(report.failed.length, 10);
    assert.deepEqual(await offlineIssued(), before, 'nothing recorded');
    assert.deepEqual((await online.json('cert', 'list', '--device', (await onlineDevice('GW-6')).id)).items, []);
    const refusals = (await online.json('audit', 'list', '--action', 'certificate.import', '--limit', '10')).items;
    assert.ok(refusals.every((e: { outcome: string }) => e.outcome === 'refused'));
    assert.equal(refusals.length, 10);

    // Nothing was left to block the genuine folder.
    const good = JSON.parse((await online.run('cert', 'import', '--bundle', onUsb('line-b'), '--json')).stdout);
    assert.deepEqual(good.imported.map((i: { serial: string; certificateSerial: string }) => [i.serial, i.certificateSerial]), lineB.map((s) => [s.serial, s.certificateSerial]));
  });

  test('an offline issuing CA certificate is imported only when it chains to a root here', async () => {
    const refused = async (args: string[], why: RegExp) => {
      const r = await online.run('ca', 'import-issuing', ...args);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, why);
    };
    writeFileSync(join(dir, 'stranger-ca.pem'), await ok(stranger.run('ca', 'chain', 'devices-production')));
    await refused(['--name', 'stranger-devices', '--cert', join(dir, 'stranger-ca.pem')], /does not chain to any root here/);
    await refused(['--name', 'offline-root-again', '--cert', onUsb('root.pem')], /self-signed: a root is imported with `fleetpki ca import-root`/);
    await refused(['--name', 'a-device', '--cert', onUsb('line-a', 'GW-1.pem')], /not a CA certificate/);
    await refused(['--name', 'offline-devices-2', '--cert', onUsb('devices-ca.pem')], /already CA offline-devices here/);
    await refused(['--name', 'offline-devices', '--cert', onUsb('devices-ca.pem')], /a CA named offline-devices already exists/);
    const names = (await online.json('ca', 'list')).map((c: { name: string }) => c.name);
    assert.ok(!names.includes('stranger-devices') && !names.includes('offline-root-again') && !names.includes('a-device') && !names.includes('offline-devices-2'));
    const events = (await online.json('audit', 'list', '--action', 'ca.import', '--limit', '5')).items;
    assert.deepEqual(events.map((e: { outcome: string }) => e.outcome), ['refused', 'refused', 'refused', 'refused', 'refused']);
  });
});
