// Pre-signing lint: the to-be-signed certificate is decoded again, independently of the code
// that built it, and checked against RFC 5280 and what the RA approved. A finding means a
// bug or a misconfigured profile: nothing is signed.

import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  TBSCertificate,
  type Extension,
} from '@peculiar/asn1-x509';
import { PolicyDenied } from '../errors.ts';
import { children, readTop, slice } from '../x509/der.ts';
import { EXTENSION_OIDS, extensionValue, extKeyUsageOid, type KeyUsageName } from '../x509/extensions.ts';
import type { KeyDescription } from '../x509/keys.ts';

export interface LintExpectations {
  issuerSubjectDer: Buffer;
  issuerKeyId: Buffer;
  issuerNotBefore: Date;
  issuerNotAfter: Date;
  signatureOid: string;
  isCa: boolean;
  key: KeyDescription;
  keyUsage: KeyUsageName[];
  extKeyUsage: string[];
}

/** `issuerDer` is the issuer Name exactly as encoded in the TBS. */
type Lint = (tbs: TBSCertificate, extensions: Map<string, Extension>, expect: LintExpectations, issuerDer: Buffer) => string | null;

const equal = (a: ArrayBuffer | Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b)) === 0;

const LINTS: Lint[] = [
  (tbs) => (tbs.version === 2 ? null : 'certificate is not version 3'),
  (tbs) => {
    const serial = new Uint8Array(tbs.serialNumber);
    if (serial.length === 0 || serial.length > 20) return 'serial number must be 1 to 20 octets';
    if (serial[0] & 0x80) return 'serial number must be positive';
    if (serial.every((b) => b === 0)) return 'serial number must not be zero';
    return null;
  },
  (tbs, _e, expect) => (tbs.signature.algorithm === expect.signatureOid ? null : 'signature algorithm does not match the issuer key'),
  (_t, _e, expect, issuerDer) => (issuerDer.equals(expect.issuerSubjectDer) ? null : "issuer name differs from the CA certificate's subject"),
  (tbs, _e, expect) => {
    const notBefore = tbs.validity.notBefore.getTime();
    const notAfter = tbs.validity.notAfter.getTime();
    if (notBefore >= notAfter) return 'notBefore is not before notAfter';
    if (notBefore < expect.issuerNotBefore || notAfter > expect.issuerNotAfter) return "validity is not inside the issuer's validity";
    return null;
  },
  (tbs, extensions) => {
    const san = extensions.get(EXTENSION_OIDS.subjectAltName);
    if (tbs.subject.length === 0 && !san) return 'certificate has neither a subject nor a subject alternative name';
    if (tbs.subject.length === 0 && !san?.critical) return 'subject is empty, so subjectAltName must be critical';
    return null;
  },
  (_t, extensions, expect) => {
    const bc = extensions.get(EXTENSION_OIDS.basicConstraints);
    if (!bc?.critical) return 'basicConstraints must be present and critical';
    return AsnConvert.parse(extensionValue(bc), BasicConstraints).cA === expect.isCa ? null : 'basicConstraints cA flag is wrong';
  },
  (_t, extensions, expect) => {
    const ku = extensions.get(EXTENSION_OIDS.keyUsage);
    if (!ku?.critical) return 'keyUsage must be present and critical';
    const flags = AsnConvert.parse(extensionValue(ku), KeyUsage).toNumber();
    let wanted = 0;
    for (const usage of expect.keyUsage) wanted |= KeyUsageFlags[usage];
    if (flags !== wanted) return 'keyUsage differs from the approved usages';
    const caBits = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;
    if (!expect.isCa && flags & caBits) return 'end-entity certificate must not have keyCertSign or cRLSign';
    if (expect.key.family !== 'rsa' && flags & (KeyUsageFlags.keyEncipherment | KeyUsageFlags.dataEncipherment)) {
      return `keyEncipherment/dataEncipherment are not possible with a ${expect.key.name} key`;
    }
    return null;
  },
  (_t, extensions, expect) => {
    const eku = extensions.get(EXTENSION_OIDS.extKeyUsage);
    const oids = eku ? [...AsnConvert.parse(extensionValue(eku), ExtendedKeyUsage)] : [];
    const wanted = expect.extKeyUsage.map(extKeyUsageOid);
    return oids.length === wanted.length && wanted.every((o) => oids.includes(o)) ? null : 'extendedKeyUsage differs from the profile';
  },
  (_t, extensions) => (extensions.has(EXTENSION_OIDS.subjectKeyIdentifier) ? null : 'subjectKeyIdentifier is missing'),
  (_t, extensions, expect) => {
    const aki = extensions.get(EXTENSION_OIDS.authorityKeyIdentifier);
    if (!aki) return 'authorityKeyIdentifier is missing';
    const keyId = AsnConvert.parse(extensionValue(aki), AuthorityKeyIdentifier).keyIdentifier;
    return keyId && equal(extensionValue({ extnValue: keyId }), expect.issuerKeyId) ? null : "authorityKeyIdentifier does not match the issuer's key";
  },
];

export function lintTbs(raw: Buffer, expect: LintExpectations): string[] {
  const tbs = AsnConvert.parse(raw, TBSCertificate);
  const extensions = new Map<string, Extension>();
  const findings: string[] = [];
  for (const ext of tbs.extensions ?? []) {
    if (extensions.has(ext.extnID)) findings.push(`extension ${ext.extnID} appears twice`);
    extensions.set(ext.extnID, ext);
  }
  const issuerDer = slice(raw, children(raw, readTop(raw))[3]);
  for (const lint of LINTS) {
    const finding = lint(tbs, extensions, expect, issuerDer);
    if (finding) findings.push(finding);
  }
  return findings;
}

export function assertLintClean(raw: Buffer, expect: LintExpectations): void {
  const findings = lintTbs(raw, expect);
  if (findings.length > 0) throw new PolicyDenied(`certificate failed pre-signing lint: ${findings.join('; ')}`, { lint: findings });
}
