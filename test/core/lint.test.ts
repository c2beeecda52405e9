// The pre-signing lint is the last guard before a signature: hand-made TBSCertificates with
// one defect each must produce exactly the finding for that defect, a good one none, and
// what the CA really builds must pass.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import { assertLintClean, lintTbs, type LintExpectations } from '../../src/ca/lint.ts';
import { caUrls, crlPartitionUrl } from '../../src/ca/urls.ts';
import { partitionOf } from '../../src/revocation/partition.ts';
import { PolicyDenied } from '../../src/errors.ts';
import { encodeTbs, parseCertificate, type TbsParts } from '../../src/x509/certificate.ts';
import { children, readTop, sequence, slice, tlv, TAG, unsignedInteger } from '../../src/x509/der.ts';
import {
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  crlDistributionPoint,
  EXTENSION_OIDS,
  extension,
  extKeyUsage,
  keyIdentifier,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
  type KeyUsageName,
} from '../../src/x509/extensions.ts';
import { describeKeyType, signatureScheme } from '../../src/x509/keys.ts';
import { encodeName, nameToAttributes } from '../../src/x509/name.ts';
import { parseSan, type San } from '../../src/x509/san.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

const DAY = 86_400_000;
const spkiOf = (type: 'ec' | 'rsa') =>
  (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })).publicKey.export({ format: 'der', type: 'spki' });

const issuerSpki = spkiOf('ec');
const issuerKeyId = keyIdentifier(issuerSpki);
const issuerName = encodeName([['O', 'Lint Test'], ['CN', 'Lint Issuing CA']]);
const issuerNotBefore = new Date('2025-01-01T00:00:00Z');
const issuerNotAfter = new Date('2030-01-01T00:00:00Z');
const issuerScheme = signatureScheme(describeKeyType('ec-p256'));
const deviceSpki = spkiOf('ec');
const deviceSan: San = { kind: 'uri', value: 'urn:fleetpki:device:lint-1' };
const URLS = { crl: 'http://pki.test/crl/lint/2026-01-3.crl', ocsp: 'http://pki.test/ocsp', caIssuers: 'http://pki.test/ca/lint.cer' };

const EXPECT: LintExpectations = {
  issuerSubjectDer: issuerName,
  issuerKeyId,
  issuerNotBefore,
  issuerNotAfter,
  signatureOid: issuerScheme.oid,
  isCa: false,
  key: describeKeyType('ec-p256'),
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['clientAuth'],
  subject: [['O', 'fleetpki'], ['CN', 'lint-1']],
  sans: [deviceSan],
  spkiDer: deviceSpki,
  urls: URLS,
};

interface Variant {
  serial?: Buffer;
  signatureAlgorithm?: Buffer;
  issuer?: Buffer;
  notBefore?: Date;
  notAfter?: Date;
  subject?: Buffer;
  spki?: Buffer;
  /** Extensions by name; null leaves one out. */
  ext?: Partial<Record<'bc' | 'ku' | 'eku' | 'ski' | 'aki' | 'san' | 'crlDp' | 'aia', Buffer | null>>;
  extra?: Buffer[];
}

/** A good end-entity TBS for EXPECT, with the variant's changes. */
function tbs(v: Variant = {}): Buffer {
  const ext = {
    bc: basicConstraints(false),
    ku: keyUsage(['digitalSignature']),
    eku: extKeyUsage(['clientAuth']),
    ski: subjectKeyIdentifier(keyIdentifier(v.spki ?? deviceSpki)),
    aki: authorityKeyIdentifier(issuerKeyId),
    san: subjectAltName([deviceSan], false),
    crlDp: crlDistributionPoint(URLS.crl),
    aia: authorityInfoAccess({ ocsp: URLS.ocsp, caIssuers: URLS.caIssuers }),
    ...v.ext,
  };
  const parts: TbsParts = {
    serial: v.serial ?? unsignedInteger(Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex')),
    signatureAlgorithm: v.signatureAlgorithm ?? issuerScheme.algorithmDer,
    issuer: v.issuer ?? issuerName,
    notBefore: v.notBefore ?? new Date('2026-01-01T00:00:00Z'),
    notAfter: v.notAfter ?? new Date('2026-01-31T00:00:00Z'),
    subject: v.subject ?? encodeName([['O', 'fleetpki'], ['CN', 'lint-1']]),
    spki: v.spki ?? deviceSpki,
    extensions: [...Object.values(ext).filter((e): e is Buffer => e !== null), ...(v.extra ?? [])],
  };
  return encodeTbs(parts);
}

const usage = (...names: KeyUsageName[]) => keyUsage(names);

const DEFECTS: Array<{ name: string; tbs: () => Buffer; expect?: Partial<LintExpectations>; finding: string }> = [
  { name: 'notBefore before the issuer was valid', tbs: () => tbs({ notBefore: new Date(issuerNotBefore.getTime() - 1000) }), finding: "validity is not inside the issuer's validity" },
  { name: 'notAfter after the issuer expires', tbs: () => tbs({ notAfter: new Date(issuerNotAfter.getTime() + DAY) }), finding: "validity is not inside the issuer's validity" },
  { name: 'notAfter not after notBefore', tbs: () => tbs({ notBefore: new Date('2026-02-01T00:00:00Z'), notAfter: new Date('2026-02-01T00:00:00Z') }), finding: 'notBefore is not before notAfter' },
  { name: 'empty subject with a non-critical SAN', tbs: () => tbs({ subject: sequence() }), expect: { subject: [] }, finding: 'subject is empty, so subjectAltName must be critical' },
  { name: 'empty subject and no SAN', tbs: () => tbs({ subject: sequence(), ext: { san: null } }), expect: { subject: [], sans: [] }, finding: 'certificate has neither a subject nor a subject alternative name' },
  { name: 'no subject key identifier', tbs: () => tbs({ ext: { ski: null } }), finding: 'subjectKeyIdentifier is missing' },
  { name: 'no authority key identifier', tbs: () => tbs({ ext: { aki: null } }), finding: 'authorityKeyIdentifier is missing' },
  { name: "an AKI that is not the issuer's key", tbs: () => tbs({ ext: { aki: authorityKeyIdentifier(keyIdentifier(spkiOf('ec'))) } }), finding: "authorityKeyIdentifier does not match the issuer's key" },
  {
    name: 'keyEncipherment on an EC key',
    tbs: () => tbs({ ext: { ku: usage('digitalSignature', 'keyEncipherment') } }),
    expect: { keyUsage: ['digitalSignature', 'keyEncipherment'] },
    finding: 'keyEncipherment/dataEncipherment are not possible with a ec-p256 key',
  },
  { name: 'key usage other than approved', tbs: () => tbs({ ext: { ku: usage('digitalSignature', 'nonRepudiation') } }), finding: 'keyUsage differs from the approved usages' },
  {
    name: 'keyCertSign on an end entity',
    tbs: () => tbs({ ext: { ku: usage('digitalSignature', 'keyCertSign') } }),
    expect: { keyUsage: ['digitalSignature', 'keyCertSign'] },
    finding: 'end-entity certificate must not have keyCertSign or cRLSign',
  },
  { name: 'key usage not critical', tbs: () => tbs({ ext: { ku: extension(EXTENSION_OIDS.keyUsage, false, Buffer.from('03020780', 'hex')) } }), finding: 'keyUsage must be present and critical' },
  { name: 'the CA flag on an end entity', tbs: () => tbs({ ext: { bc: basicConstraints(true) } }), finding: 'basicConstraints cA flag is wrong' },
  { name: 'no basic constraints', tbs: () => tbs({ ext: { bc: null } }), finding: 'basicConstraints must be present and critical' },
  { name: 'basic constraints not critical', tbs: () => tbs({ ext: { bc: extension(EXTENSION_OIDS.basicConstraints, false, sequence()) } }), finding: 'basicConstraints must be present and critical' },
  { name: 'serverAuth where the profile says clientAuth', tbs: () => tbs({ ext: { eku: extKeyUsage(['serverAuth']) } }), finding: 'extendedKeyUsage differs from the profile' },
  { name: 'an extra extended key usage', tbs: () => tbs({ ext: { eku: extKeyUsage(['clientAuth', 'codeSigning']) } }), finding: 'extendedKeyUsage differs from the profile' },
  { name: 'no extended key usage where the profile has one', tbs: () => tbs({ ext: { eku: null } }), finding: 'extendedKeyUsage differs from the profile' },
  { name: 'a negative serial', tbs: () => tbs({ serial: tlv(TAG.INTEGER, Buffer.from('8f1e2d3c', 'hex')) }), finding: 'serial number must be positive' },
  { name: 'a zero serial', tbs: () => tbs({ serial: tlv(TAG.INTEGER, Buffer.from([0])) }), finding: 'serial number must not be zero' },
  { name: 'a serial with a superfluous leading zero', tbs: () => tbs({ serial: tlv(TAG.INTEGER, Buffer.from('000f1e2d', 'hex')) }), finding: 'serial number is not minimally encoded' },
  { name: 'a 21-octet serial', tbs: () => tbs({ serial: tlv(TAG.INTEGER, Buffer.alloc(21, 0x11)) }), finding: 'serial number must be 1 to 20 octets' },
  { name: "a signature algorithm that is not the issuer key's", tbs: () => tbs({ signatureAlgorithm: signatureScheme(describeKeyType('ec-p384')).algorithmDer }), finding: 'signature algorithm does not match the issuer key' },
  { name: "an issuer name that is not the CA's subject", tbs: () => tbs({ issuer: encodeName([['O', 'Lint Test'], ['CN', 'Someone Else']]) }), finding: "issuer name differs from the CA certificate's subject" },
  // What the RA approved, and what the CA was configured to put in every certificate.
  { name: 'a subject other than the approved one', tbs: () => tbs({ subject: encodeName([['O', 'fleetpki'], ['CN', 'lint-2']]) }), finding: 'subject differs from the approved subject' },
  { name: 'the approved subject attributes in another order', tbs: () => tbs({ subject: encodeName([['CN', 'lint-1'], ['O', 'fleetpki']]) }), finding: 'subject differs from the approved subject' },
  { name: 'a subject attribute more than approved', tbs: () => tbs({ subject: encodeName([['O', 'fleetpki'], ['CN', 'lint-1'], ['serialNumber', 'SN-1']]) }), finding: 'subject differs from the approved subject' },
  { name: 'a subject where none was approved', tbs: () => tbs({ ext: { san: subjectAltName([deviceSan], true) } }), expect: { subject: [] }, finding: 'subject differs from the approved subject' },
  { name: 'a SAN the RA did not approve', tbs: () => tbs({ ext: { san: subjectAltName([deviceSan, { kind: 'dns', value: 'evil.example.com' }], false) } }), finding: 'subjectAltName differs from the approved names' },
  { name: 'an approved SAN left out', tbs: () => tbs({ ext: { san: null } }), finding: 'subjectAltName differs from the approved names' },
  { name: "another device's identity URI", tbs: () => tbs({ ext: { san: subjectAltName([{ kind: 'uri', value: 'urn:fleetpki:device:lint-2' }], false) } }), finding: 'subjectAltName differs from the approved names' },
  { name: 'another IP address than approved', tbs: () => tbs({ ext: { san: subjectAltName([deviceSan, { kind: 'ip', value: '::2' }], false) } }), expect: { sans: [deviceSan, { kind: 'ip', value: '::1' }] }, finding: 'subjectAltName differs from the approved names' },
  { name: 'a SAN extension with no names', tbs: () => tbs({ ext: { san: subjectAltName([], false) } }), expect: { sans: [] }, finding: 'subjectAltName is present but empty' },
  { name: 'a SAN value that is not DER', tbs: () => tbs({ ext: { san: extension(EXTENSION_OIDS.subjectAltName, false, Buffer.from('3005', 'hex')) } }), finding: 'a part of the TBSCertificate does not decode: truncated DER: value runs past the end of the input' },
  { name: 'a public key other than the approved one', tbs: () => tbs({ spki: spkiOf('ec') }), finding: 'subject public key differs from the approved key' },
  { name: 'a subject key identifier of another key', tbs: () => tbs({ ext: { ski: subjectKeyIdentifier(keyIdentifier(spkiOf('ec'))) } }), finding: 'subjectKeyIdentifier is not the SHA-1 of the subject public key' },
  {
    name: 'a subject key identifier hashed over the whole SubjectPublicKeyInfo (not RFC 5280 method 1)',
    tbs: () => tbs({ ext: { ski: subjectKeyIdentifier(createHash('sha1').update(deviceSpki).digest()) } }),
    finding: 'subjectKeyIdentifier is not the SHA-1 of the subject public key',
  },
  { name: 'no CRL distribution point', tbs: () => tbs({ ext: { crlDp: null } }), finding: 'cRLDistributionPoints is missing' },
  { name: "another partition's CRL", tbs: () => tbs({ ext: { crlDp: crlDistributionPoint('http://pki.test/crl/lint/2026-01-4.crl') } }), finding: 'cRLDistributionPoints does not name the configured CRL' },
  { name: 'no authority information access', tbs: () => tbs({ ext: { aia: null } }), finding: 'authorityInfoAccess is missing' },
  { name: 'an AIA without the OCSP responder', tbs: () => tbs({ ext: { aia: authorityInfoAccess({ caIssuers: URLS.caIssuers }) } }), finding: 'authorityInfoAccess does not carry the configured OCSP and CA Issuers URLs' },
  { name: 'an AIA naming another OCSP responder', tbs: () => tbs({ ext: { aia: authorityInfoAccess({ ocsp: 'http://evil.test/ocsp', caIssuers: URLS.caIssuers }) } }), finding: 'authorityInfoAccess does not carry the configured OCSP and CA Issuers URLs' },
  { name: 'an extension twice', tbs: () => tbs({ extra: [subjectKeyIdentifier(keyIdentifier(deviceSpki))] }), finding: `extensions appear twice: ${EXTENSION_OIDS.subjectKeyIdentifier}` },
];

describe('pre-signing lint', () => {
  it('a good end-entity TBS has no findings', () => {
    assert.deepEqual(lintTbs(tbs(), EXPECT), []);
    assert.doesNotThrow(() => assertLintClean(tbs(), EXPECT));
  });

  it('an empty subject with a critical SAN is fine (RFC 5280 4.2.1.6)', () => {
    const san = subjectAltName([deviceSan], true);
    assert.deepEqual(lintTbs(tbs({ subject: sequence(), ext: { san } }), { ...EXPECT, subject: [] }), []);
  });

  it('an IP SAN matches its approval however the address is spelled', () => {
    const san = subjectAltName([deviceSan, { kind: 'ip', value: '::1' }, { kind: 'ip', value: '127.0.0.1' }], false);
    const approved: San[] = [{ kind: 'ip', value: '127.0.0.1' }, { kind: 'ip', value: '0:0:0:0:0:0:0:1' }, deviceSan];
    assert.deepEqual(lintTbs(tbs({ ext: { san } }), { ...EXPECT, sans: approved }), []);
  });

  it('a certificate that carries no revocation URLs is fine where none are configured (urls: null)', () => {
    assert.deepEqual(lintTbs(tbs({ ext: { crlDp: null, aia: null } }), { ...EXPECT, urls: null }), []);
  });

  it('keyEncipherment is fine on an RSA key', () => {
    const rsa = spkiOf('rsa');
    const findings = lintTbs(tbs({ spki: rsa, ext: { ku: usage('digitalSignature', 'keyEncipherment') } }), {
      ...EXPECT,
      key: describeKeyType('rsa-2048'),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      spkiDer: rsa,
    });
    assert.deepEqual(findings, []);
  });

  for (const defect of DEFECTS) {
    it(`refuses ${defect.name}`, () => {
      const raw = defect.tbs();
      const expect = { ...EXPECT, ...defect.expect };
      assert.deepEqual(lintTbs(raw, expect), [defect.finding]);
      assert.throws(
        () => assertLintClean(raw, expect),
        (error: unknown) => error instanceof PolicyDenied && error.message.includes(defect.finding) && (error.details?.lint as string[])[0] === defect.finding,
      );
    });
  }

  it('reports every defect of a TBS with several', () => {
    const raw = tbs({ subject: sequence(), ext: { ski: null, aki: null, bc: basicConstraints(true), crlDp: null } });
    assert.deepEqual(lintTbs(raw, EXPECT).sort(), [
      'authorityKeyIdentifier is missing',
      'basicConstraints cA flag is wrong',
      'cRLDistributionPoints is missing',
      'subject differs from the approved subject',
      'subject is empty, so subjectAltName must be critical',
      'subjectKeyIdentifier is missing',
    ]);
  });

  it('bytes that are not a TBSCertificate are a finding, not a crash', () => {
    const findings = lintTbs(Buffer.from('3003020101', 'hex'), EXPECT);
    assert.equal(findings.length, 1);
    assert.match(findings[0], /TBSCertificate does not decode/);
  });
});

describe('pre-signing lint against what the CA builds', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet();
  });
  after(() => fleet?.close());

  it("an issued certificate's TBS, linted again against its issuer, is clean", async () => {
    const device = await createDevice(fleet.ctx, { externalSerial: 'LINT-GW', deviceClass: 'gateway', environment: 'production' }, 'test');
    const csr = opensslCsr(fleet.dir, 'ec-p256', { sans: ['DNS:lint.gateways.fleet.internal'] }).pem;
    const cert = await issueFromCsr(fleet.ctx, { csr, profile: 'gateway', deviceId: device.id }, 'test');
    const issuer = await fleet.ctx.cas.get(cert.issuer_id);
    const raw = slice(cert.der, children(cert.der, readTop(cert.der))[0]);
    const info = parseCertificate(cert.der);
    const expect: LintExpectations = {
      issuerSubjectDer: issuer.cert.subjectDer,
      issuerKeyId: issuer.keyId,
      issuerNotBefore: issuer.cert.notBefore,
      issuerNotAfter: issuer.cert.notAfter,
      signatureOid: '1.2.840.10045.4.3.2',
      isCa: false,
      key: info.key,
      keyUsage: ['digitalSignature', 'keyAgreement'],
      extKeyUsage: ['clientAuth', 'serverAuth'],
      // Read back with the @peculiar decoder, not the lint's walker: the two must agree.
      subject: nameToAttributes(info.subjectDer),
      sans: JSON.parse(cert.sans).map(parseSan),
      spkiDer: info.spkiDer,
      urls: { ...caUrls(fleet.ctx.config.publicUrl, issuer.row.name), crl: crlPartitionUrl(fleet.ctx.config.publicUrl, issuer.row.name, partitionOf(cert.not_after, cert.serial_hex)) },
    };
    assert.deepEqual(lintTbs(raw, expect), []);
    assert.deepEqual(expect.sans.map((s) => s.value).sort(), [`urn:fleetpki:device:${device.id}`, 'lint.gateways.fleet.internal'].sort());
    // The same certificate is not what a CA certificate or an RSA key would need.
    assert.deepEqual(lintTbs(raw, { ...expect, isCa: true }), ['basicConstraints cA flag is wrong']);
    assert.deepEqual(lintTbs(raw, { ...expect, keyUsage: ['digitalSignature'] }), ['keyUsage differs from the approved usages']);
    // Nor what another device or another CA's partition would need.
    assert.deepEqual(lintTbs(raw, { ...expect, sans: expect.sans.slice(1) }), ['subjectAltName differs from the approved names']);
    assert.deepEqual(lintTbs(raw, { ...expect, urls: { ...expect.urls!, crl: `${expect.urls!.crl}.old` } }), ['cRLDistributionPoints does not name the configured CRL']);
  });
});
