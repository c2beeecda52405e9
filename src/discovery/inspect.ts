// Reads a certificate found in the wild. Unlike x509/certificate.ts parseCertificate, nothing
// here refuses a key or an algorithm: an RSA-1024 key, a secp256k1 curve or an MD5 signature
// is exactly what discovery is looking for, so it is described, not rejected. Only bytes
// that are not a certificate at all are an error.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { serialHexFromInteger, sha256Hex } from '../x509/certificate.ts';
import { children, readTop, slice, value } from '../x509/der.ts';
import { EXTENSION_OIDS, extensionValue } from '../x509/extensions.ts';
import { nameToString } from '../x509/name.ts';
import { decodeSanValue, formatSan } from '../x509/san.ts';
import { describeKey, signatureAlgorithmName, type FoundKey } from './algorithms.ts';

export interface FoundCertificate {
  der: Buffer;
  fingerprintSha256: string;
  spkiSha256: string;
  serialHex: string;
  subject: string;
  issuer: string;
  subjectDer: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  sans: string[];
  key: FoundKey;
  /** Null when Node cannot load the key type (then no signature can be checked with it). */
  publicKey: KeyObject | null;
  signatureAlgorithm: { oid: string; name: string; weak: boolean };
}

function loadKey(spkiDer: Buffer): KeyObject | null {
  try {
    return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** SANs are informative here; a malformed one must not hide the rest of the certificate. */
function sansOf(find: (oid: string) => Uint8Array | undefined): string[] {
  const san = find(EXTENSION_OIDS.subjectAltName);
  if (!san) return [];
  try {
    return decodeSanValue(san).map(formatSan);
  } catch {
    return [];
  }
}

function describe(der: Buffer, cert: Certificate): FoundCertificate {
  const tbs = children(der, children(der, readTop(der))[0]);
  const offset = tbs[0].tag === 0xa0 ? 1 : 0;
  const [serial, , issuer, , subject, spki] = tbs.slice(offset);
  const spkiDer = slice(der, spki);
  const extensions = cert.tbsCertificate.extensions ?? [];
  const find = (oid: string) => {
    const ext = extensions.find((e) => e.extnID === oid);
    return ext ? extensionValue(ext) : undefined;
  };
  const bc = find(EXTENSION_OIDS.basicConstraints);
  const publicKey = loadKey(spkiDer);
  const sigOid = cert.signatureAlgorithm.algorithm;
  return {
    der,
    fingerprintSha256: sha256Hex(der),
    spkiSha256: sha256Hex(spkiDer),
    serialHex: serialHexFromInteger(value(der, serial)),
    subject: nameToString(slice(der, subject)),
    issuer: nameToString(slice(der, issuer)),
    subjectDer: slice(der, subject),
    issuerDer: slice(der, issuer),
    notBefore: cert.tbsCertificate.validity.notBefore.getTime(),
    notAfter: cert.tbsCertificate.validity.notAfter.getTime(),
    isCa: bc ? AsnConvert.parse(bc, BasicConstraints).cA : false,
    sans: sansOf(find),
    key: describeKey(publicKey, cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm),
    publicKey,
    signatureAlgorithm: signatureAlgorithmName(sigOid),
  };
}

export function inspectCertificate(der: Buffer): FoundCertificate {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new BadRequest(`not a certificate: ${(error as Error).message}`);
  }
  try {
    return describe(Buffer.from(der), cert);
  } catch (error) {
    throw new BadRequest(`malformed certificate: ${(error as Error).message}`);
  }
}
