// Importing certificate files and folders (a factory's export) and PEM bundles over REST:
// PEM bundles with chains, DER files, nested folders, a garbage file reported while the others
// are imported, and the findings only files can show (look-alike fleetpki issuer, the same
// certificate in two files, a key shared with an inventory certificate).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importFiles } from '../../src/discovery/import.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { opensslCsr } from '../helpers/context.ts';
import { derOf, fingerprint, leafFrom, openssl, selfSigned, testCa, type Made } from './fixtures.ts';
import { findingsAt } from './harness.ts';

type Json = Record<string, any>;

function kindsOf(findings: Json[], certPem: string): string[] {
  const sha256 = fingerprint(certPem);
  return findings.filter((f) => f.certificate.fingerprintSha256 === sha256).map((f) => f.kind).sort();
}

describe('discovery import of files and bundles', () => {
  let api: ApiHarness;
  let root: string;
  const made: Record<string, Made> = {};
  let issuedPem: string;

  before(async () => {
    api = await openApi();
    const dir = api.fleet.dir;
    const maker = testCa(dir, '/O=Acme Devices/CN=Acme Manufacturing CA');
    assert.equal((await api.call('POST', '/api/v1/manufacturers', { body: { name: 'acme', certificatePem: maker.pem } })).statusCode, 201);
    const stranger = testCa(dir, '/O=Elsewhere/CN=Unknown Test CA');
    const cas = (await api.call('GET', '/api/v1/cas')).json().items as Json[];
    const production = cas.find((c) => c.name === 'devices-production')!;
    const lookalikeCa = testCa(dir, `/${production.subject.split(', ').join('/')}`);
    made.dev1 = leafFrom(dir, maker, 'dev-1');
    made.dev2 = leafFrom(dir, maker, 'dev-2');
    made.dev3 = leafFrom(dir, stranger, 'dev-3');
    made.self = selfSigned(dir, 'dev-4');
    made.lookalike = leafFrom(dir, lookalikeCa, 'forged');
    made.k1 = selfSigned(dir, 'odd-curve', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']);
    const csr = opensslCsr(dir, 'ec-p256', { subject: '/CN=issued' });
    const issued = await api.call('POST', '/api/v1/certificates', { body: { csr: csr.pem, profile: 'sensor', deviceId: await api.device() } });
    assert.equal(issued.statusCode, 201, issued.body);
    issuedPem = issued.json().certificate.pem;
    // Another inventory certificate's key, reused in a certificate fleetpki never issued.
    const other = opensslCsr(dir, 'ec-p256', { subject: '/CN=other' });
    assert.equal((await api.call('POST', '/api/v1/certificates', { body: { csr: other.pem, profile: 'sensor', deviceId: await api.device() } })).statusCode, 201);
    const s = join(dir, 'rekeyed');
    openssl(['req', '-x509', '-key', other.keyFile, '-out', `${s}.pem`, '-days', '90', '-subj', '/CN=rekeyed']);
    made.rekeyed = { cert: `${s}.pem`, key: other.keyFile, pem: openssl(['x509', '-in', `${s}.pem`]) };

    root = join(dir, 'factory-export');
    mkdirSync(join(root, 'batch-7', 'der'), { recursive: true });
    writeFileSync(join(root, 'batch-7', 'bundle.pem'), made.dev1.pem + made.dev2.pem + maker.pem);
    writeFileSync(join(root, 'batch-7', 'der', 'dev-3.der'), derOf(made.dev3.pem));
    writeFileSync(join(root, 'batch-7', 'der', 'dev-4.cer'), derOf(made.self.pem));
    writeFileSync(join(root, 'copy-of-dev-1.crt'), made.dev1.pem);
    writeFileSync(join(root, 'forged.pem'), made.lookalike.pem);
    writeFileSync(join(root, 'issued.pem'), issuedPem);
    writeFileSync(join(root, 'rekeyed.pem'), made.rekeyed.pem);
    writeFileSync(join(root, 'odd-curve.pem'), made.k1.pem);
    writeFileSync(join(root, 'garbage.crt'), 'this is not a certificate\n');
    const broken = made.self.pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    writeFileSync(join(root, 'half-broken.pem'), broken + made.dev2.pem);
    writeFileSync(join(root, 'README.txt'), 'not read: not a certificate file name\n');
  });
  after(() => api.close());

  it('reads the folder recursively, reports the garbage file and imports the others', async () => {
    const missing = join(api.fleet.dir, 'no-such-folder');
    const run = await importFiles(api.fleet.ctx, [root, missing], {}, 'test');
    assert.equal(run.status, 'completed');
    const view = (await api.call('GET', `/api/v1/discovery/imports/${run.id}`)).json();
    const byName = Object.fromEntries(view.targets.map((t: Json) => [t.target.slice(root.length + 1) || t.target, t]));
    assert.deepEqual(Object.keys(byName).sort(), [
      'batch-7/bundle.pem', 'batch-7/der/dev-3.der', 'batch-7/der/dev-4.cer', 'copy-of-dev-1.crt', 'forged.pem', 'garbage.crt',
      'half-broken.pem', 'issued.pem', missing, 'odd-curve.pem', 'rekeyed.pem',
    ].sort());
    assert.equal(byName['garbage.crt'].outcome, 'error');
    assert.match(byName['garbage.crt'].error, /neither PEM nor a DER certificate/);
    assert.equal(byName[missing].outcome, 'error');
    assert.match(byName[missing].error, /no such file or folder/);
    assert.equal(byName['half-broken.pem'].outcome, 'partial');
    assert.match(byName['half-broken.pem'].error, /PEM block 1/);
    assert.equal(byName['half-broken.pem'].certificates, 1);
    assert.equal(byName['batch-7/bundle.pem'].certificates, 3);
    assert.equal(view.targetsFailed, 2);
  });

  it('raises each expected finding and none for the certificate fleetpki issued', async () => {
    const findings = await findingsAt(api);
    assert.deepEqual(kindsOf(findings, made.dev1.pem), ['not-in-inventory', 'shared-certificate']);
    assert.deepEqual(kindsOf(findings, made.dev2.pem), ['not-in-inventory', 'shared-certificate'], 'in the bundle and in half-broken.pem');
    assert.deepEqual(kindsOf(findings, made.dev3.pem), ['not-in-inventory', 'unknown-ca']);
    assert.deepEqual(kindsOf(findings, made.self.pem), ['not-in-inventory', 'self-signed']);
    assert.deepEqual(kindsOf(findings, made.lookalike.pem), ['unauthorised']);
    assert.deepEqual(kindsOf(findings, made.k1.pem), ['non-standard-key', 'not-in-inventory', 'self-signed']);
    assert.deepEqual(kindsOf(findings, made.rekeyed.pem), ['not-in-inventory', 'self-signed', 'shared-key']);
    assert.deepEqual(kindsOf(findings, issuedPem), [], 'the inventory certificate itself raises nothing');

    const forged = findings.find((f) => f.kind === 'unauthorised')!;
    assert.equal(forged.severity, 'critical');
    assert.equal(forged.evidence.claimedCa, 'devices-production');
    assert.equal(forged.evidence.signatureVerifies, false);
    assert.equal(forged.certificate.trust, 'fleetpki-claimed');
    const dev1 = fingerprint(made.dev1.pem);
    const copied = findings.find((f) => f.kind === 'shared-certificate' && f.certificate.fingerprintSha256 === dev1)!;
    assert.deepEqual(copied.evidence.locations.map((l: string) => l.slice(root.length + 1)).sort(), ['batch-7/bundle.pem', 'copy-of-dev-1.crt']);
    const rekeyed = findings.find((f) => f.kind === 'shared-key')!;
    assert.equal(rekeyed.evidence.inventoryCertificates.length, 1);
    assert.equal(findings.find((f) => f.kind === 'non-standard-key')!.certificate.keyType, 'ec-secp256k1');
    const issued = (await api.call('GET', `/api/v1/discovery/certificates?fingerprint=${fingerprint(issuedPem)}`)).json().items[0];
    assert.equal(issued.trust, 'fleetpki');
    assert.deepEqual(issued.seenAt.map((s: Json) => s.source), ['file']);
  });

  it('imports a PEM bundle, raw PEM and DER over REST, and refuses a body with no certificate', async () => {
    const json = await api.call('POST', '/api/v1/discovery/imports', { body: { pem: made.dev1.pem + made.dev3.pem, label: 'line-3/export.pem' } });
    assert.equal(json.statusCode, 201, json.body);
    assert.deepEqual(json.json().targets.map((t: Json) => [t.target, t.outcome, t.certificates]), [['upload:line-3/export.pem', 'ok', 2]]);
    assert.equal(json.headers.location, `/api/v1/discovery/imports/${json.json().id}`);

    const raw = await api.call('POST', '/api/v1/discovery/imports?label=raw&expiringWithinDays=400', { body: made.self.pem, headers: { 'content-type': 'application/pem-certificate-chain' } });
    assert.equal(raw.statusCode, 201, raw.body);
    assert.equal(raw.json().options.expiringWithinDays, 400);
    const der = await api.app.inject({ method: 'POST', url: '/api/v1/discovery/imports', payload: derOf(made.dev2.pem), headers: { authorization: `Bearer ${api.fleet.adminToken}`, 'content-type': 'application/pkix-cert' } });
    assert.equal(der.statusCode, 201, der.body);
    assert.equal(der.json().certificatesSeen, 1);
    const expiring = await findingsAt(api, '&kind=expiring');
    assert.deepEqual(expiring.map((f) => f.certificate.fingerprintSha256), [fingerprint(made.self.pem)], 'a 365-day certificate is within 400 days');

    const runsBefore = (await api.audit({ action: 'discovery.import.start', outcome: 'success' as const })).length;
    const garbage = await api.call('POST', '/api/v1/discovery/imports', { body: { pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } });
    assert.equal(garbage.statusCode, 400);
    assert.match(errorOf(garbage).message, /no certificate in the bundle: PEM block 1: not a certificate/);
    assert.equal((await api.audit({ action: 'discovery.import.start', outcome: 'success' as const })).length, runsBefore, 'no run recorded');
    assert.equal((await api.audit({ action: 'discovery.import.start', outcome: 'refused' }))[0].target, 'upload:api');
    const both = await api.call('POST', '/api/v1/discovery/imports', { body: { pem: made.self.pem, der: 'MAA=' } });
    assert.equal(both.statusCode, 400);
    assert.match(errorOf(both).message, /either pem .* or der/);
  });
});
