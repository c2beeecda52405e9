// Pre-signing lint: the to-be-signed certificate is decoded again by a separate reader
// (tbs-view.ts) and checked against RFC 5280 and what the RA approved. A finding means a bug
// or a misconfigured profile: nothing is signed.

import { hash } from 'node:crypto';
import { SocketAddress } from 'node:net';
import { PolicyDenied } from '../errors.ts';
import { readTop, value } from '../x509/der.ts';
import { EXTENSION_OIDS, extKeyUsageOid, type KeyUsageName } from '../x509/extensions.ts';
import type { KeyDescription } from '../x509/keys.ts';
import type { NameAttributes } from '../x509/name.ts';
import { OID } from '../x509/oids.ts';
import type { San } from '../x509/san.ts';
import {
  accessDescriptions,
  authorityKeyId,
  generalNames,
  isCaFlagSet,
  keyUsageBits,
  nameAttributes,
  oidList,
  readTbs,
  subjectPublicKeyBits,
  uris,
  type TbsView,
} from './tbs-view.ts';

/** Where relying parties find the CRL, the OCSP responder and the issuer's certificate. */
export interface RevocationUrls {
  crl: string;
  ocsp: string;
  caIssuers: string;
}

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
  /** What was approved: the TBS must carry exactly this subject, these SANs and this key. */
  subject: NameAttributes;
  sans: readonly San[];
  spkiDer: Buffer;
  /** The URLs the certificate must carry; null where it carries none (an IDevID, an OCSP responder's). */
  urls: RevocationUrls | null;
}

type Lint = (tbs: TbsView, expect: LintExpectations) => string | null;

const ext = (tbs: TbsView, name: keyof typeof EXTENSION_OIDS) => tbs.extensions.get(EXTENSION_OIDS[name]);

/** An approved SAN as generalNames() reads it back: IP addresses have more than one spelling. */
function sanText(san: San): string {
  if (san.kind !== 'ip') return `${san.kind}:${san.value}`;
  return `ip:${new SocketAddress({ address: san.value, family: san.value.includes(':') ? 'ipv6' : 'ipv4' }).address}`;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((item, i) => item === b[i]);

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
  (tbs, expect) => {
    const names = nameAttributes(tbs.subject);
    const same = names.length === expect.subject.length && names.every(([a, v], i) => a === expect.subject[i][0] && v === expect.subject[i][1]);
    return same ? null : 'subject differs from the approved subject';
  },
  (tbs, expect) => {
    const san = ext(tbs, 'subjectAltName');
    const names = san ? generalNames(san.value) : [];
    if (san && names.length === 0) return 'subjectAltName is present but empty';
    return sameList(names.sort(), expect.sans.map(sanText).sort()) ? null : 'subjectAltName differs from the approved names';
  },
  (tbs, expect) => (tbs.spki.equals(expect.spkiDer) ? null : 'subject public key differs from the approved key'),
  (tbs) => {
    const ski = ext(tbs, 'subjectKeyIdentifier');
    if (!ski) return 'subjectKeyIdentifier is missing';
    // Issuance uses RFC 5280 4.2.1.2 method 1; another value would break chain building by key id.
    const keyId = hash('sha1', subjectPublicKeyBits(tbs.spki), 'buffer');
    return value(ski.value, readTop(ski.value)).equals(keyId) ? null : 'subjectKeyIdentifier is not the SHA-1 of the subject public key';
  },
  (tbs, expect) => {
    const aki = ext(tbs, 'authorityKeyIdentifier');
    if (!aki) return 'authorityKeyIdentifier is missing';
    return authorityKeyId(aki.value)?.equals(expect.issuerKeyId) ? null : "authorityKeyIdentifier does not match the issuer's key";
  },
  (tbs, { urls }) => {
    if (!urls) return null;
    const dp = ext(tbs, 'crlDistributionPoints');
    if (!dp) return 'cRLDistributionPoints is missing';
    return sameList(uris(dp.value), [urls.crl]) ? null : 'cRLDistributionPoints does not name the configured CRL';
  },
  (tbs, { urls }) => {
    if (!urls) return null;
    const aia = ext(tbs, 'authorityInfoAccess');
    if (!aia) return 'authorityInfoAccess is missing';
    const found = accessDescriptions(aia.value);
    const has = (method: string, url: string) => found.some(([m, u]) => m === method && u === url);
    const exact = found.length === 2 && has(OID.adOcsp, urls.ocsp) && has(OID.adCaIssuers, urls.caIssuers);
    return exact ? null : 'authorityInfoAccess does not carry the configured OCSP and CA Issuers URLs';
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
  return LINTS.map((lint) => {
    try {
      return lint(tbs, expect);
    } catch (error) {
      // A malformed extension value or name is a finding like any other, not a crash of the issuing path.
      return `a part of the TBSCertificate does not decode: ${(error as Error).message}`;
    }
  }).filter((finding): finding is string => finding !== null);
}

export function assertLintClean(raw: Buffer, expect: LintExpectations): void {
  const findings = lintTbs(raw, expect);
  if (findings.length > 0) throw new PolicyDenied(`certificate failed pre-signing lint: ${findings.join('; ')}`, { lint: findings });
}
