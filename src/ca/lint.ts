// Pre-signing lint: the to-be-signed certificate is decoded again by a separate reader
// (tbs-view.ts) and checked against RFC 5280 and what the RA approved. A finding means a bug
// or a misconfigured profile: nothing is signed.

import { PolicyDenied } from '../errors.ts';
import { EXTENSION_OIDS, extKeyUsageOid, type KeyUsageName } from '../x509/extensions.ts';
import type { KeyDescription } from '../x509/keys.ts';
import { authorityKeyId, isCaFlagSet, keyUsageBits, oidList, readTbs, type TbsView } from './tbs-view.ts';

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

type Lint = (tbs: TbsView, expect: LintExpectations) => string | null;

const ext = (tbs: TbsView, name: keyof typeof EXTENSION_OIDS) => tbs.extensions.get(EXTENSION_OIDS[name]);

const LINTS: Lint[] = [
  (tbs) => (tbs.version === 2 ? null : 'certificate is not version 3'),
  ({ serial }) => {
    if (serial.length === 0 || serial.length > 20) return 'serial number must be 1 to 20 octets';
    if (serial[0] & 0x80) return 'serial number must be positive';
    if (serial.every((b) => b === 0)) return 'serial number must not be zero';
    if (serial.length > 1 && serial[0] === 0 && !(serial[1] & 0x80)) return 'serial number is not minimally encoded';
    return null;
  },
  (tbs, expect) => (tbs.signatureOid === expect.signatureOid ? null : 'signature algorithm does not match the issuer key'),
  (tbs, expect) => (tbs.issuer.equals(expect.issuerSubjectDer) ? null : "issuer name differs from the CA certificate's subject"),
  ({ notBefore, notAfter }, expect) => {
    if (notBefore >= notAfter) return 'notBefore is not before notAfter';
    if (notBefore < expect.issuerNotBefore || notAfter > expect.issuerNotAfter) return "validity is not inside the issuer's validity";
    return null;
  },
  (tbs) => {
    const san = ext(tbs, 'subjectAltName');
    if (tbs.subjectIsEmpty && !san) return 'certificate has neither a subject nor a subject alternative name';
    if (tbs.subjectIsEmpty && !san?.critical) return 'subject is empty, so subjectAltName must be critical';
    return null;
  },
  (tbs, expect) => {
    const bc = ext(tbs, 'basicConstraints');
    if (!bc?.critical) return 'basicConstraints must be present and critical';
    return isCaFlagSet(bc.value) === expect.isCa ? null : 'basicConstraints cA flag is wrong';
  },
  (tbs, expect) => {
    const ku = ext(tbs, 'keyUsage');
    if (!ku?.critical) return 'keyUsage must be present and critical';
    const bits = keyUsageBits(ku.value);
    if (bits.size !== expect.keyUsage.length || !expect.keyUsage.every((u) => bits.has(u))) return 'keyUsage differs from the approved usages';
    if (!expect.isCa && (bits.has('keyCertSign') || bits.has('cRLSign'))) return 'end-entity certificate must not have keyCertSign or cRLSign';
    if (expect.key.family !== 'rsa' && (bits.has('keyEncipherment') || bits.has('dataEncipherment'))) {
      return `keyEncipherment/dataEncipherment are not possible with a ${expect.key.name} key`;
    }
    return null;
  },
  (tbs, expect) => {
    const eku = ext(tbs, 'extKeyUsage');
    const oids = eku ? oidList(eku.value) : [];
    const wanted = expect.extKeyUsage.map(extKeyUsageOid);
    return oids.length === wanted.length && wanted.every((o) => oids.includes(o)) ? null : 'extendedKeyUsage differs from the profile';
  },
  (tbs) => (ext(tbs, 'subjectKeyIdentifier') ? null : 'subjectKeyIdentifier is missing'),
  (tbs, expect) => {
    const aki = ext(tbs, 'authorityKeyIdentifier');
    if (!aki) return 'authorityKeyIdentifier is missing';
    return authorityKeyId(aki.value)?.equals(expect.issuerKeyId) ? null : "authorityKeyIdentifier does not match the issuer's key";
  },
  (tbs) => (tbs.duplicateExtensions.length === 0 ? null : `extensions appear twice: ${tbs.duplicateExtensions.join(', ')}`),
];

export function lintTbs(raw: Buffer, expect: LintExpectations): string[] {
  let tbs: TbsView;
  try {
    tbs = readTbs(raw);
  } catch (error) {
    return [`TBSCertificate does not decode: ${(error as Error).message}`];
  }
  return LINTS.map((lint) => lint(tbs, expect)).filter((finding): finding is string => finding !== null);
}

export function assertLintClean(raw: Buffer, expect: LintExpectations): void {
  const findings = lintTbs(raw, expect);
  if (findings.length > 0) throw new PolicyDenied(`certificate failed pre-signing lint: ${findings.join('; ')}`, { lint: findings });
}
