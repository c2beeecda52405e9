// Issuance end to end through the one issuing path (app/certificates.ts issueFromCsr), with
// the openssl command as the oracle: the certificate verifies against its chain and carries
// exactly the fields the profile promises, and the inventory row describes it truthfully.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { getDevice, createDevice } from '../../src/app/devices.ts';
import { putProfile } from '../../src/app/profiles.ts';
import { getCaByName } from '../../src/store/repos/cas.ts';
import { getCertificate } from '../../src/store/repos/certificates.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { openTestFleet, opensslCsr, opensslText, opensslVerify, writeChainFiles, type CsrKey, type TestFleet } from '../helpers/context.ts';
import { encodedSerial, extensionHeadings, extensionIn, opensslSummary, pemOf, printedValue } from '../helpers/openssl.ts';

const PUBLIC_URL = 'https://pki.fleet.test:8443';
const DAY_S = 86_400;
const BACKDATE_S = 60;

interface Case {
  key: CsrKey;
  profile: string;
  deviceClass: string;
  /** Expected openssl subject line, with ID and SERIAL standing for the device's. */
  subject: string;
  keyUsage: string;
  extKeyUsage: string;
  lifetimeS: number;
  /** Requested by the CSR (openssl -addext syntax) and expected back as openssl prints them. */
  requested?: string[];
  issuingCa: string;
}

const CASES: Case[] = [
  { key: 'ec-p256', profile: 'sensor', deviceClass: 'sensor', subject: 'O = fleetpki, OU = sensor, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 30 * DAY_S, issuingCa: 'devices-production' },
  { key: 'ed25519', profile: 'sensor', deviceClass: 'sensor', subject: 'O = fleetpki, OU = sensor, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 30 * DAY_S, issuingCa: 'devices-production' },
  {
    key: 'ec-p384',
    profile: 'gateway',
    deviceClass: 'gateway',
    subject: 'O = fleetpki, OU = gateway, CN = ID, serialNumber = SERIAL',
    keyUsage: 'Digital Signature, Key Agreement',
    extKeyUsage: 'TLS Web Client Authentication, TLS Web Server Authentication',
    lifetimeS: 90 * DAY_S,
    requested: ['DNS:edge-7.gateways.fleet.internal'],
    issuingCa: 'devices-production',
  },
  // keyAgreement is an EC usage: the gateway profile grants it, an RSA key does not get it.
  {
    key: 'rsa-2048',
    profile: 'gateway',
    deviceClass: 'gateway',
    subject: 'O = fleetpki, OU = gateway, CN = ID, serialNumber = SERIAL',
    keyUsage: 'Digital Signature',
    extKeyUsage: 'TLS Web Client Authentication, TLS Web Server Authentication',
    lifetimeS: 90 * DAY_S,
    issuingCa: 'devices-production',
  },
  {
    key: 'rsa-3072',
    profile: 'tls-server',
    deviceClass: 'broker',
    subject: 'O = fleetpki, CN = ID',
    keyUsage: 'Digital Signature, Key Encipherment',
    extKeyUsage: 'TLS Web Server Authentication',
    lifetimeS: 397 * DAY_S,
    requested: ['DNS:broker.fleet.internal', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'],
    issuingCa: 'devices-production',
  },
  // keyEncipherment needs RSA: an EC key under the same profile gets digitalSignature only.
  { key: 'ec-p256', profile: 'tls-server', deviceClass: 'broker', subject: 'O = fleetpki, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Server Authentication', lifetimeS: 397 * DAY_S, requested: ['DNS:localhost'], issuingCa: 'devices-production' },
  { key: 'ec-p256', profile: 'lab-sensor', deviceClass: 'sensor', subject: 'O = fleetpki lab, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 7 * DAY_S, issuingCa: 'devices-lab' },
  { key: 'ec-p384', profile: 'lab-sensor', deviceClass: 'sensor', subject: 'O = fleetpki lab, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 7 * DAY_S, issuingCa: 'devices-lab' },
  { key: 'ed25519', profile: 'lab-sensor', deviceClass: 'sensor', subject: 'O = fleetpki lab, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 7 * DAY_S, issuingCa: 'devices-lab' },
  { key: 'rsa-2048', profile: 'lab-sensor', deviceClass: 'sensor', subject: 'O = fleetpki lab, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 7 * DAY_S, issuingCa: 'devices-lab' },
  { key: 'rsa-3072', profile: 'lab-sensor', deviceClass: 'sensor', subject: 'O = fleetpki lab, CN = ID', keyUsage: 'Digital Signature', extKeyUsage: 'TLS Web Client Authentication', lifetimeS: 7 * DAY_S, issuingCa: 'devices-lab' },
];

/** openssl -addext SAN syntax -> the row's "dns:x" form. */
function stored(requested: string): string {
  const [kind, ...rest] = requested.split(':');
  const value = rest.join(':');
  if (kind === 'IP Address') return `ip:${value === '0:0:0:0:0:0:0:1' ? '::1' : value}`;
  return `${kind.toLowerCase()}:${value}`;
}

function addext(printed: string): string {
  return printed.replace('IP Address:0:0:0:0:0:0:0:1', 'IP:::1').replace('IP Address:', 'IP:');
}

let serialCounter = 0;
/** Default profiles serve one environment each: the lab CA's lab devices, the others production's. */
async function newDevice(fleet: TestFleet, deviceClass: string, externalSerial = `SN-${process.pid}-${++serialCounter}`, environment = 'production') {
  return createDevice(fleet.ctx, { externalSerial, deviceClass, environment, model: 'M-1' }, 'test:issuance');
}

describe('issuance: every device key type, checked by openssl', () => {
  let fleet: TestFleet;
  const chains = new Map<string, { root: string; intermediate: string }>();
  const caSki = new Map<string, string>();
  /** RSA key generation is the slow part: one CSR per RSA size (and SAN set) for the whole file. */
  const csrCache = new Map<string, string>();
  const csrFor = (key: CsrKey, requested: string[] = [], subject = '/CN=whatever-the-device-asks') => {
    const cacheKey = `${key}|${requested.join(',')}|${subject}`;
    if (!csrCache.has(cacheKey)) csrCache.set(cacheKey, opensslCsr(fleet.dir, key, { subject, sans: requested.map(addext) }).pem);
    return csrCache.get(cacheKey)!;
  };

  before(async () => {
    fleet = await openTestFleet({ publicUrl: PUBLIC_URL });
    for (const ca of ['devices-production', 'devices-lab']) {
      const files = await writeChainFiles(fleet, ca);
      chains.set(ca, files);
      const row = (await getCaByName(fleet.ctx.db, ca))!;
      const ski = extensionIn(opensslText(pemOf(row.certificate_der)), 'X509v3 Subject Key Identifier');
      assert.ok(ski, `${ca} has a subject key identifier`);
      caSki.set(ca, ski.text);
    }
  });
  after(() => fleet?.close());

  for (const c of CASES) {
    it(`${c.key} under profile ${c.profile}${c.requested ? ` with ${c.requested.join(', ')}` : ''}`, async () => {
      const device = await newDevice(fleet, c.deviceClass, undefined, c.issuingCa === 'devices-lab' ? 'lab' : 'production');
      assert.equal(device.status, 'registered');
      const started = Date.now();
      const row = await issueFromCsr(fleet.ctx, { csr: csrFor(c.key, c.requested), profile: c.profile, deviceId: device.id }, 'test:issuance');
      const pem = pemOf(row.der);

      // The oracle's verdict first.
      assert.match(opensslVerify(chains.get(c.issuingCa)!, pem, fleet.dir, ['-purpose', c.extKeyUsage.includes('Client') ? 'sslclient' : 'sslserver']), /: OK\n$/);

      const text = opensslText(pem);
      assert.equal(printedValue(text, 'Version'), '3 (0x2)');
      const summary = opensslSummary(pem);
      assert.equal(summary.subject, c.subject.replace('ID', device.id).replace('SERIAL', device.external_serial), 'subject comes from the profile, not the CSR');
      assert.ok(!text.includes('whatever-the-device-asks'), 'the CSR subject is not copied');

      const bc = extensionIn(text, 'X509v3 Basic Constraints');
      assert.deepEqual(bc, { critical: true, lines: ['CA:FALSE'], text: 'CA:FALSE' });
      const ku = extensionIn(text, 'X509v3 Key Usage');
      assert.deepEqual(ku && { critical: ku.critical, text: ku.text }, { critical: true, text: c.keyUsage });
      assert.equal(extensionIn(text, 'X509v3 Extended Key Usage')?.text, c.extKeyUsage);
      const ski = extensionIn(text, 'X509v3 Subject Key Identifier');
      assert.match(ski?.text ?? '', /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
      assert.equal(extensionIn(text, 'X509v3 Authority Key Identifier')?.text, caSki.get(c.issuingCa), "AKI is the issuing CA's SKI");

      const san = extensionIn(text, 'X509v3 Subject Alternative Name');
      assert.equal(san?.critical, false, 'the subject is not empty, so the SAN is not critical');
      const expectedSans = [...(c.profile === 'tls-server' ? [] : [`URI:urn:fleetpki:device:${device.id}`]), ...(c.requested ?? [])];
      assert.deepEqual(san?.text.split(', ').sort(), expectedSans.sort());

      // The CRL partition: expiry month and last hex digit of the serial, as openssl prints them.
      const partition = `${summary.notAfter.toISOString().slice(0, 7).replace('-', '')}-${summary.serial.slice(-1).toLowerCase()}`;
      assert.deepEqual(extensionIn(text, 'X509v3 CRL Distribution Points')?.lines, ['Full Name:', `URI:${PUBLIC_URL}/crl/${c.issuingCa}/${partition}.crl`]);
      assert.deepEqual(extensionIn(text, 'Authority Information Access')?.lines, [`OCSP - URI:${PUBLIC_URL}/ocsp`, `CA Issuers - URI:${PUBLIC_URL}/ca/${c.issuingCa}.cer`]);
      assert.deepEqual(
        extensionHeadings(text).sort(),
        [
          'Authority Information Access',
          'X509v3 Authority Key Identifier',
          'X509v3 Basic Constraints',
          'X509v3 CRL Distribution Points',
          'X509v3 Extended Key Usage',
          'X509v3 Key Usage',
          'X509v3 Subject Alternative Name',
          'X509v3 Subject Key Identifier',
        ],
        'no extension more, none less',
      );

      // Lifetime: the profile's, plus the backdate that tolerates slow device clocks.
      assert.equal((summary.notAfter.getTime() - summary.notBefore.getTime()) / 1000, c.lifetimeS + BACKDATE_S);
      assert.ok(Math.abs(summary.notBefore.getTime() - (started - BACKDATE_S * 1000)) < 5_000, 'notBefore is now minus the backdate');

      // Serial: 128 random bits, positive, minimal DER, at most 17 octets with the sign pad.
      assert.ok(!/Serial Number:.*Negative/.test(text));
      assert.ok(summary.serial.length / 2 <= 16 && summary.serial.length / 2 >= 8, `serial ${summary.serial} is 128-bit class`);
      const integer = encodedSerial(row.der);
      assert.ok(integer.length <= 17);
      assert.equal(integer[0] & 0x80, 0, 'positive');
      assert.ok(!(integer[0] === 0 && !(integer[1] & 0x80)), 'no superfluous leading zero');
      assert.equal(row.serial_hex.toUpperCase(), summary.serial);

      // The inventory row says what the certificate says.
      const saved = await getCertificate(fleet.ctx.db, row.id);
      assert.ok(saved, 'recorded before returned');
      assert.deepEqual(saved.der, row.der);
      assert.equal(saved.fingerprint_sha256, summary.fingerprintSha256);
      assert.equal(saved.spki_sha256, summary.spkiSha256);
      assert.equal(saved.serial_hex, row.serial_hex);
      assert.equal(saved.issuer_id, (await getCaByName(fleet.ctx.db, c.issuingCa))!.id);
      assert.equal(saved.subject, summary.subject.replace(/ = /g, '='));
      assert.deepEqual(JSON.parse(saved.sans).sort(), [...(c.profile === 'tls-server' ? [] : [`uri:urn:fleetpki:device:${device.id}`]), ...(c.requested ?? []).map(stored)].sort());
      assert.equal(saved.key_type, c.key);
      assert.equal(saved.not_before, summary.notBefore.toISOString());
      assert.equal(saved.not_after, summary.notAfter.toISOString());
      const lifetime = summary.notAfter.getTime() - summary.notBefore.getTime();
      assert.ok(Math.abs(Date.parse(saved.renew_after) - (summary.notBefore.getTime() + 0.66 * lifetime)) <= 1, 'renew after 66% of the lifetime');
      assert.equal(saved.status, 'valid');
      assert.equal(saved.profile, c.profile);
      assert.equal(saved.device_id, device.id);
      assert.equal(saved.replaces_id, null);
      assert.equal((await getDevice(fleet.ctx, device.id)).status, 'active', 'the device became active with its first certificate');
    });
  }

  it('the sensor profile (privacy) keeps the device serial out; the gateway profile puts it in', async () => {
    const secret = 'HW-SERIAL-0042-PRIVATE';
    const sensor = await newDevice(fleet, 'sensor', secret);
    const cert = await issueFromCsr(fleet.ctx, { csr: csrFor('ec-p256'), profile: 'sensor', deviceId: sensor.id }, 'test:issuance');
    const text = opensslText(pemOf(cert.der));
    assert.ok(!text.includes(secret), 'openssl shows no device serial');
    assert.equal(cert.der.indexOf(secret), -1, 'the DER holds no device serial');
    assert.ok(!cert.subject.includes(secret) && !cert.sans.includes(secret));

    const gatewaySerial = 'GW-SERIAL-0043';
    const gateway = await newDevice(fleet, 'gateway', gatewaySerial);
    const gw = await issueFromCsr(fleet.ctx, { csr: csrFor('ec-p256'), profile: 'gateway', deviceId: gateway.id }, 'test:issuance');
    assert.match(opensslSummary(pemOf(gw.der)).subject, new RegExp(`serialNumber = ${gatewaySerial}$`));
  });

  it('renewal with `replaces` links the new certificate to the old one; both stay in the inventory', async () => {
    const device = await newDevice(fleet, 'sensor');
    const first = await issueFromCsr(fleet.ctx, { csr: csrFor('ec-p256'), profile: 'sensor', deviceId: device.id }, 'test:issuance');
    const second = await issueFromCsr(fleet.ctx, { csr: csrFor('ed25519'), profile: 'sensor', deviceId: device.id, replaces: first.id }, 'test:renewal');
    assert.notEqual(second.id, first.id);
    assert.notEqual(second.serial_hex, first.serial_hex);
    assert.equal((await getCertificate(fleet.ctx.db, second.id))?.replaces_id, first.id);
    assert.equal((await getCertificate(fleet.ctx.db, first.id))?.status, 'valid', 'renewal alone revokes nothing');
    assert.equal((await getDevice(fleet.ctx, device.id)).status, 'active');
    assert.match(opensslVerify(chains.get('devices-production')!, pemOf(second.der), fleet.dir), /: OK\n$/);
    const events = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('target', '=', `certificate:${second.id}`).execute();
    assert.equal(events.length, 1);
    assert.equal(events[0].action, 'certificate.issue');
    assert.equal(events[0].actor, 'test:renewal');
    assert.equal(JSON.parse(events[0].details).replaces, first.id);
  });

  it('a requested name matching the wildcard pattern is issued as asked, next to the device URI', async () => {
    const device = await newDevice(fleet, 'gateway');
    const cert = await issueFromCsr(
      fleet.ctx,
      { csr: csrFor('ec-p256', ['DNS:Plant-4.Gateways.Fleet.Internal']), profile: 'gateway', deviceId: device.id },
      'test:issuance',
    );
    const san = extensionIn(opensslText(pemOf(cert.der)), 'X509v3 Subject Alternative Name');
    assert.deepEqual(san?.text.split(', ').sort(), [`DNS:plant-4.gateways.fleet.internal`, `URI:urn:fleetpki:device:${device.id}`].sort());
  });
});

describe('issuance: CA hierarchies with other key types', () => {
  let fleet: TestFleet;
  let configDir: string;
  const ISSUING = [
    { name: 'issuing-ed25519', keyType: 'ed25519', signature: 'ED25519' },
    { name: 'issuing-p384', keyType: 'ec-p384', signature: 'ecdsa-with-SHA384' },
    { name: 'issuing-rsa2048', keyType: 'rsa-2048', signature: 'sha256WithRSAEncryption' },
  ] as const;

  before(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'fleetpki-hierarchy-'));
    const file = join(configDir, 'fleetpki.yaml');
    const yaml = [
      'hierarchy:',
      '  root: { name: rsa-root, keyType: rsa-3072, validityDays: 3650, commonName: Test RSA Root, organization: Test Fleet }',
      '  issuing:',
      ...ISSUING.map((i) => `    - { name: ${i.name}, keyType: ${i.keyType}, validityDays: 365, commonName: Test ${i.keyType} Issuing CA, organization: Test Fleet }`),
    ].join('\n');
    writeFileSync(file, `${yaml}\n`);
    fleet = await openTestFleet({ config: file, publicUrl: PUBLIC_URL });
    for (const issuing of ISSUING) {
      await putProfile(
        fleet.ctx,
        {
          name: `device-${issuing.name}`,
          ca: issuing.name,
          keys: { allowed: ['ec-p256', 'ed25519', 'rsa'] },
          validity: '1d',
          subject: { O: 'Test Fleet', CN: '{{device.id}}' },
          san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'] },
          keyUsage: ['digitalSignature'],
          extKeyUsage: ['clientAuth'],
        },
        'test:hierarchy',
      );
    }
  });
  after(async () => {
    await fleet?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('the root is RSA-3072, self-signed, a CA with certificate and CRL signing', async () => {
    const root = (await getCaByName(fleet.ctx.db, 'rsa-root'))!;
    const text = opensslText(pemOf(root.certificate_der));
    assert.match(text, /Public-Key: \(3072 bit\)/);
    assert.equal(printedValue(text, 'Signature Algorithm'), 'sha256WithRSAEncryption');
    assert.deepEqual(extensionIn(text, 'X509v3 Basic Constraints'), { critical: true, lines: ['CA:TRUE'], text: 'CA:TRUE' });
    assert.deepEqual(extensionIn(text, 'X509v3 Key Usage'), { critical: true, lines: ['Certificate Sign, CRL Sign'], text: 'Certificate Sign, CRL Sign' });
    const summary = opensslSummary(pemOf(root.certificate_der));
    assert.equal(summary.subject, 'O = Test Fleet, CN = Test RSA Root');
    assert.equal(summary.issuer, summary.subject);
  });

  for (const issuing of ISSUING) {
    it(`a certificate from the ${issuing.keyType} issuing CA verifies against the RSA root`, async () => {
      const chain = await writeChainFiles(fleet, issuing.name);
      const caText = opensslText(pemOf((await getCaByName(fleet.ctx.db, issuing.name))!.certificate_der));
      assert.equal(printedValue(caText, 'Signature Algorithm'), 'sha256WithRSAEncryption', 'signed by the RSA root');
      assert.deepEqual(extensionIn(caText, 'X509v3 Basic Constraints'), { critical: true, lines: ['CA:TRUE, pathlen:0'], text: 'CA:TRUE, pathlen:0' });
      assert.equal(extensionIn(caText, 'X509v3 Key Usage')?.text, 'Digital Signature, Certificate Sign, CRL Sign');

      const device = await createDevice(fleet.ctx, { externalSerial: `SN-${issuing.name}`, deviceClass: 'sensor', environment: 'test' }, 'test:hierarchy');
      const csr = opensslCsr(fleet.dir, 'ec-p256').pem;
      const cert = await issueFromCsr(fleet.ctx, { csr, profile: `device-${issuing.name}`, deviceId: device.id }, 'test:hierarchy');
      const pem = pemOf(cert.der);
      assert.match(opensslVerify(chain, pem, fleet.dir), /: OK\n$/);
      const text = opensslText(pem);
      assert.equal(printedValue(text, 'Signature Algorithm'), issuing.signature);
      assert.equal(extensionIn(text, 'X509v3 Authority Key Identifier')?.text, extensionIn(caText, 'X509v3 Subject Key Identifier')?.text);
      const summary = opensslSummary(pem);
      assert.equal(summary.issuer, `O = Test Fleet, CN = Test ${issuing.keyType} Issuing CA`);
      assert.equal((summary.notAfter.getTime() - summary.notBefore.getTime()) / 1000, DAY_S + BACKDATE_S);
    });
  }
});
