// Birth certificates for fleets whose maker has none: a manufacturer CA fleetpki holds, and
// IEEE 802.1AR IDevIDs from it, checked with openssl: they verify against the manufacturer
// CA, carry the device serial as serialNumber, never expire (99991231235959Z as
// GeneralizedTime), and can do nothing but identify the device.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { extensionIn } from '../helpers/openssl.ts';
import { cli, fleet, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-idevid-');
const pki = fleet(join(dir, 'data'));
const file = (name: string) => join(dir, name);

function csr(name: string): string {
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file(`${name}.key`), '-subj', '/CN=whatever the device says', '-out', file(`${name}.csr`)], { stdio: 'ignore' });
  return file(`${name}.csr`);
}

before(async () => {
  assert.equal((await cli(['init', '--data-dir', pki.dataDir])).code, 0);
  const ca = await pki.json('manufacturer', 'create-ca', '--name', 'acme-factory', '--organization', 'Acme Devices');
  writeFileSync(file('acme-ca.pem'), ca.certificatePem);
  await pki.json('device', 'create', '--serial', 'ACME-0042', '--class', 'sensor', '--environment', 'production');
});

describe('manufacturer CA and IDevIDs', () => {
  test('the manufacturer CA is a registered trust anchor that never expires', async () => {
    const [anchor] = (await pki.json('manufacturer', 'list')).items;
    assert.equal(anchor.name, 'acme-factory');
    const text = execFileSync('openssl', ['x509', '-in', file('acme-ca.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Not After : Dec 31 23:59:59 9999 GMT/);
    assert.deepEqual(extensionIn(text, 'X509v3 Basic Constraints')?.lines, ['CA:TRUE, pathlen:0']);
  });

  test('an IDevID: serialNumber = device serial, notAfter 99991231235959Z, digitalSignature only, verified by openssl', async () => {
    const result = await pki.run('manufacturer', 'issue-idevid', '--ca', 'acme-factory', '--serial', 'ACME-0042', '--csr', csr('acme-0042'), '--out', file('idevid.pem'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', file('acme-ca.pem'), file('idevid.pem')], { encoding: 'utf8' }), /idevid.pem: OK/);
    const text = execFileSync('openssl', ['x509', '-in', file('idevid.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Subject: O ?= ?Acme Devices, CN ?= ?ACME-0042, serialNumber ?= ?ACME-0042/);
    assert.match(text, /Not After : Dec 31 23:59:59 9999 GMT/);
    assert.match(execFileSync('openssl', ['asn1parse', '-in', file('idevid.pem')], { encoding: 'utf8' }), /GENERALIZEDTIME\s*:99991231235959Z/);
    assert.deepEqual(extensionIn(text, 'X509v3 Key Usage'), { critical: true, lines: ['Digital Signature'], text: 'Digital Signature' });
    assert.deepEqual(extensionIn(text, 'X509v3 Basic Constraints')?.lines, ['CA:FALSE']);
    assert.deepEqual(extensionIn(text, 'X509v3 Extended Key Usage')?.lines, ['TLS Web Client Authentication']);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', file('acme-ca.pem'), '-purpose', 'sslclient', file('idevid.pem')], { encoding: 'utf8' }), /OK/);

    const device = (await pki.json('device', 'list', '--q', 'ACME-0042')).items[0];
    assert.equal(device.status, 'registered', 'a birth certificate is not an enrolment');
    const [recorded] = (await pki.json('cert', 'list', '--device', device.id)).items;
    assert.equal(recorded.profile, 'idevid:acme-factory');
    assert.equal(recorded.notAfter, '9999-12-31T23:59:59.000Z');
    const audit = await pki.json('audit', 'list', '--action', 'idevid.issue');
    assert.equal(audit.items[0].target, `certificate:${recorded.id}`);
  });

  test('refused: an unregistered device, a second IDevID for the same device, a CA that is not a manufacturer CA', async () => {
    const unknown = await pki.run('manufacturer', 'issue-idevid', '--ca', 'acme-factory', '--serial', 'ACME-9999', '--csr', csr('u'));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no device with serial ACME-9999/);
    const twice = await pki.run('manufacturer', 'issue-idevid', '--ca', 'acme-factory', '--serial', 'ACME-0042', '--csr', csr('t'));
    assert.match(twice.stderr, /already has an IDevID/);
    const fleetCa = await pki.run('manufacturer', 'issue-idevid', '--ca', 'devices-production', '--serial', 'ACME-0042', '--csr', csr('f'));
    assert.match(fleetCa.stderr, /not a manufacturer CA/);
  });
});
