// EST with a real, independent client, as RFC 7030's examples do it: openssl makes the keys,
// CSRs and birth certificates, curl speaks HTTPS (trusting only fleetpki's root), openssl
// decodes the answers and `openssl verify` judges every certificate issued.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { createManufacturerCa } from '../../src/factory/manufacturer-ca.ts';
import { getCertificateBySerial, listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { opensslVerify } from '../helpers/context.ts';
import { opensslSummary } from '../helpers/openssl.ts';
import { auditOf, curl, device, makeManufacturer, openEstFleet, openssl, opensslCsr, postCsr, printCerts, token, unique, type EstFleet } from './harness.ts';

let fleet: EstFleet;
before(async () => {
  fleet = await openEstFleet();
});
after(() => fleet.close());

const pems = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];

describe('cacerts and csrattrs', () => {
  test('cacerts without a label: the CAs of the device profiles, roots included, as certs-only PKCS#7 that openssl prints; no code-signing or manufacturer CA', async () => {
    await createManufacturerCa(fleet.ctx, { name: unique('held-maker'), keyType: 'ec-p256', commonName: 'Held Maker IDevID CA', organization: 'Held Maker' }, 'test');
    const res = await curl(fleet, '/cacerts');
    assert.equal(res.status, 200);
    assert.match(res.headers, /content-type: application\/pkcs7-mime; smime-type=certs-only/i);
    assert.match(res.headers, /content-transfer-encoding: base64/i);
    const subjects = pems(await printCerts(res.body)).map((pem) => opensslSummary(pem).subject);
    assert.deepEqual(subjects.sort(), ['O = fleetpki, CN = fleetpki Devices Lab CA', 'O = fleetpki, CN = fleetpki Devices Production CA', 'O = fleetpki, CN = fleetpki Root CA']);
    // The code-signing chain is still there for whoever asks for it by name.
    const signing = pems(await printCerts((await curl(fleet, '/code-signing/cacerts')).body)).map((pem) => opensslSummary(pem).subject);
    assert.deepEqual(signing, ['O = fleetpki, CN = fleetpki Code Signing CA', 'O = fleetpki, CN = fleetpki Root CA']);
  });

  test('cacerts under a label: the profile issuing CA and its root only', async () => {
    const printed = await printCerts((await curl(fleet, '/lab-sensor/cacerts')).body);
    const subjects = pems(printed).map((pem) => opensslSummary(pem).subject);
    assert.deepEqual(subjects, ['O = fleetpki, CN = fleetpki Devices Lab CA', 'O = fleetpki, CN = fleetpki Root CA']);
  });

  test('csrattrs: the profile key and signature algorithm, as openssl asn1parse reads them', async () => {
    const res = await curl(fleet, '/sensor/csrattrs');
    assert.equal(res.status, 200);
    assert.match(res.headers, /content-type: application\/csrattrs/i);
    const parsed = await openssl(['asn1parse', '-inform', 'DER'], Buffer.from(res.body, 'base64'));
    assert.match(parsed, /:id-ecPublicKey/);
    assert.match(parsed, /:prime256v1/);
    assert.match(parsed, /:ecdsa-with-SHA256/);
    const none = await curl(fleet, '/csrattrs');
    assert.equal(none.status, 204, 'no label and no est.defaultProfile: nothing to ask for');
  });

  test('TLS 1.2 and 1.3 both work; the server certificate is fleetpki-issued for 127.0.0.1', async () => {
    for (const versions of [['--tlsv1.2', '--tls-max', '1.2'], ['--tlsv1.3']]) {
      const res = await curl(fleet, '/cacerts', versions);
      assert.equal(res.status, 200, versions.join(' '));
    }
    // -verify_return_error: openssl exits non-zero (and openssl() throws) unless the chain verifies.
    await openssl(['s_client', '-connect', new URL(fleet.url).host, '-tls1_3', '-CAfile', fleet.chain.root, '-verify_ip', '127.0.0.1', '-verify_return_error', '-brief'], '');
    const serverCert = fleet.est.identity().certificate;
    const text = await openssl(['x509', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], readFileSync(writeCert(serverCert.der)));
    assert.match(text, /DNS:localhost/);
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /TLS Web Server Authentication/);
  });
});

function writeCert(der: Buffer): string {
  const file = fleet.file(`${unique('cert')}.der`);
  writeFileSync(file, der);
  return file;
}

describe('simpleenroll with a bootstrap token', () => {
  test('HTTP Basic password: issued, verified by openssl, recorded, audited as est:token:<id>', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const csr = await opensslCsr(fleet, `/CN=${d.external_serial}`);
    const res = await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `anyone:${secret}`]);
    assert.equal(res.status, 200, res.body);
    assert.match(res.headers, /content-type: application\/pkcs7-mime; smime-type=certs-only/i);
    const certs = pems(await printCerts(res.body));
    assert.equal(certs.length, 1, 'only the issued certificate (RFC 7030 4.2.3)');
    assert.match(opensslVerify(fleet.chain, certs[0], fleet.dir), /OK/);
    const summary = opensslSummary(certs[0]);
    assert.equal(summary.subject, `O = fleetpki, OU = sensor, CN = ${d.id}`);
    const [row] = await listCertificatesForDevice(fleet.ctx.db, d.id);
    assert.equal(row.serial_hex, summary.serial.toLowerCase());
    assert.equal(row.profile, 'sensor');
    // fleetpki's extension header: when the inventory counts this certificate due for renewal.
    assert.match(res.headers, new RegExp(`fleetpki-renew-after: ${row.renew_after.replace(/\./g, '\\.')}\r?\n`, 'i'));
    const lifetime = Date.parse(row.not_after) - Date.parse(row.not_before);
    assert.equal(Date.parse(row.renew_after), Date.parse(row.not_before) + Math.round(lifetime * 0.66), 'the sensor profile renews after 66% of the lifetime');
    const tokenId = (await fleet.ctx.db.selectFrom('bootstrap_tokens').select('id').where('device_id', '=', d.id).executeTakeFirstOrThrow()).id;
    const events = await auditOf(fleet, `est:token:${tokenId}`);
    assert.deepEqual(events.map((e) => [e.action, e.outcome]), [['certificate.issue', 'success'], ['bootstrap-token.use', 'success']]);
  });

  test('Bearer token, no label (the token names the profile), Content-Transfer-Encoding header tolerated, other subject attributes ignored', async () => {
    const d = await device(fleet, unique('SN'), { environment: 'lab' });
    const secret = await token(fleet, d.id, 'lab-sensor');
    const csr = await opensslCsr(fleet, `/O=whatever the device says/serialNumber=${d.external_serial}`);
    const res = await postCsr(fleet, '/simpleenroll', csr.b64File, ['-H', `Authorization: Bearer ${secret}`, '-H', 'Content-Transfer-Encoding: base64']);
    assert.equal(res.status, 200, res.body);
    const [cert] = pems(await printCerts(res.body));
    assert.match(opensslSummary(cert).issuer, /fleetpki Devices Lab CA/);
  });

  test('serverkeygen: multipart/mixed with the PKCS#8 key and the certificate for it', async () => {
    const d = await device(fleet);
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    const res = await postCsr(fleet, '/sensor/serverkeygen', csr.b64File, ['-u', `x:${await token(fleet, d.id)}`]);
    assert.equal(res.status, 200, res.body);
    const boundary = /content-type: multipart\/mixed; boundary=(\S+)/i.exec(res.headers)?.[1];
    assert.ok(boundary, res.headers);
    const parts = res.body.split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 2);
    const [keyPart, certPart] = parts.map((p) => {
      const [head, body] = p.split('\r\n\r\n');
      return { head, body };
    });
    assert.match(keyPart.head, /Content-Type: application\/pkcs8/);
    assert.match(certPart.head, /Content-Type: application\/pkcs7-mime; smime-type=certs-only/);
    const keyPem = await openssl(['pkey', '-inform', 'DER'], Buffer.from(keyPart.body, 'base64'));
    const [cert] = pems(await printCerts(certPart.body));
    assert.match(opensslVerify(fleet.chain, cert, fleet.dir), /OK/);
    const keyPub = await openssl(['pkey', '-pubout'], keyPem);
    const certPub = await openssl(['x509', '-noout', '-pubkey'], cert);
    assert.equal(keyPub, certPub, 'the returned key is the certified one');
    assert.notEqual(certPub, await openssl(['pkey', '-pubout', '-in', csr.keyFile]), "the CSR's own key is ignored (RFC 7030 4.4.1)");
  });
});

describe('simplereenroll with the current certificate', () => {
  test('rekey: same device and subject, new key, supersedes the old certificate', async () => {
    const d = await device(fleet);
    const first = await opensslCsr(fleet, `/CN=${d.id}`);
    const enrolled = await postCsr(fleet, '/sensor/simpleenroll', first.b64File, ['-u', `x:${await token(fleet, d.id)}`]);
    const [current] = pems(await printCerts(enrolled.body));
    const currentFile = fleet.file(`${unique('current')}.pem`);
    writeFileSync(currentFile, current);
    const subject = (await openssl(['x509', '-noout', '-subject', '-nameopt', 'compat', '-in', currentFile])).trim().replace(/^subject=/, '');
    const renewal = await opensslCsr(fleet, subject);
    const res = await postCsr(fleet, '/simplereenroll', renewal.b64File, ['--cert', currentFile, '--key', first.keyFile]);
    assert.equal(res.status, 200, res.body);
    const [renewed] = pems(await printCerts(res.body));
    assert.match(opensslVerify(fleet.chain, renewed, fleet.dir), /OK/);
    const [oldSummary, newSummary] = [opensslSummary(current), opensslSummary(renewed)];
    assert.equal(newSummary.subject, oldSummary.subject);
    assert.notEqual(newSummary.spkiSha256, oldSummary.spkiSha256);
    const issuer = await fleet.ctx.cas.byName('devices-production');
    const oldRow = await getCertificateBySerial(fleet.ctx.db, issuer.row.id, oldSummary.serial);
    const newRow = await getCertificateBySerial(fleet.ctx.db, issuer.row.id, newSummary.serial);
    assert.equal(newRow?.replaces_id, oldRow?.id);
    assert.equal(newRow?.device_id, d.id);
    assert.equal(oldRow?.status, 'valid', 'the old certificate stays valid until it expires');
    const events = await auditOf(fleet, `est:cert:${oldRow!.serial_hex}`);
    assert.deepEqual(events.map((e) => [e.action, e.outcome]), [['certificate.issue', 'success']]);
  });
});

describe('simpleenroll with a manufacturer birth certificate (IDevID)', () => {
  test('registered manufacturer and device: the LDevID is issued without any secret', async () => {
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const d = await device(fleet);
    const idevid = await maker.idevid(d.external_serial);
    const csr = await opensslCsr(fleet, `/serialNumber=${d.external_serial}`);
    const res = await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]);
    assert.equal(res.status, 200, res.body);
    const [cert] = pems(await printCerts(res.body));
    assert.match(opensslVerify(fleet.chain, cert, fleet.dir), /OK/);
    assert.equal(opensslSummary(cert).subject, `O = fleetpki, OU = sensor, CN = ${d.id}`);
    const events = await auditOf(fleet, `est:idevid:${d.external_serial}`);
    assert.deepEqual(events.map((e) => [e.action, e.outcome]), [['certificate.issue', 'success']]);
    assert.equal((await listCertificatesForDevice(fleet.ctx.db, d.id))[0].replaces_id, null, 'a first enrolment replaces nothing');
  });

  test('enrolling again with the IDevID while a certificate of the profile is valid (factory reset, --key-command renewal) supersedes the newest one', async () => {
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const d = await device(fleet);
    const idevid = await maker.idevid(d.external_serial);
    const enrol = async (label: string) => {
      const res = await postCsr(fleet, `/${label}/simpleenroll`, (await opensslCsr(fleet, `/CN=${d.external_serial}`)).b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]);
      assert.equal(res.status, 200, res.body);
      return (await listCertificatesForDevice(fleet.ctx.db, d.id))[0];
    };
    const first = await enrol('sensor');
    const second = await enrol('sensor');
    assert.equal(second.replaces_id, first.id);
    const third = await enrol('sensor');
    assert.equal(third.replaces_id, second.id, 'the newest valid one, not the first');
    const gateway = await enrol('gateway');
    assert.equal(gateway.replaces_id, null, 'another profile supersedes nothing');
    await fleet.ctx.db.updateTable('certificates').set({ status: 'revoked', revocation_reason: 'superseded', revoked_at: new Date().toISOString() }).where('id', '=', third.id).execute();
    assert.equal((await enrol('sensor')).replaces_id, second.id, 'a revoked certificate is not the one superseded');
  });

  test('an IDevID under a manufacturer intermediate, sent in the TLS chain, with the root registered', async () => {
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const d = await device(fleet);
    const idevid = await maker.idevid(d.external_serial, { intermediate: true });
    const csr = await opensslCsr(fleet, `/CN=${d.external_serial}`);
    const res = await postCsr(fleet, '/gateway/simpleenroll', csr.b64File, ['--cert', idevid.chainFile, '--key', idevid.keyFile]);
    assert.equal(res.status, 200, res.body);
    const [cert] = pems(await printCerts(res.body));
    assert.equal(opensslSummary(cert).subject, `O = fleetpki, OU = gateway, CN = ${d.id}, serialNumber = ${d.external_serial}`);
  });
});
