// Certificates: assemble a TBSCertificate from pre-encoded parts (the issuance hot path) and
// read back what the rest of fleetpki needs to know about a certificate.

import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { BadRequest, FleetPkiError } from '../errors.ts';
import { children, readTop, sequence, slice, time, tlv, TAG, value } from './der.ts';
import { EXTENSION_OIDS, extensionValue } from './extensions.ts';
import { classifyPublicKey, type KeyDescription } from './keys.ts';
import { nameToString } from './name.ts';
import { derFromInput } from './pem.ts';
import { decodeSanValue, type San } from './san.ts';

export interface TbsParts {
  /** Complete DER INTEGER. */
  serial: Buffer;
  signatureAlgorithm: Buffer;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Buffer;
  spki: Buffer;
  extensions: Buffer[];
}

const VERSION_3 = tlv(TAG.CONTEXT_0, tlv(TAG.INTEGER, Buffer.from([2])));

export function encodeTbs(parts: TbsParts): Buffer {
  return sequence(
    VERSION_3,
    parts.serial,
    parts.signatureAlgorithm,
    parts.issuer,
    sequence(time(parts.notBefore), time(parts.notAfter)),
    parts.subject,
    parts.spki,
    tlv(TAG.CONTEXT_3, sequence(...parts.extensions)),
  );
}

export function encodeCertificate(tbs: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  return sequence(tbs, signatureAlgorithm, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CertificateInfo {
  der: Buffer;
  serialHex: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  publicKey: KeyObject;
  key: KeyDescription;
  subjectKeyId: Buffer | null;
  isCa: boolean;
  sans: San[];
  fingerprintSha256: string;
  spkiSha256: string;
}

/** Hex of the serial's value: lowercase, no sign pad, as stored in the inventory. */
export function serialHexFromInteger(integerTlvValue: Buffer): string {
  let i = 0;
  while (i < integerTlvValue.length - 1 && integerTlvValue[i] === 0) i++;
  return integerTlvValue.subarray(i).toString('hex');
}

export function parseCertificate(input: string | Uint8Array): CertificateInfo {
  const der = derFromInput(input, ['CERTIFICATE'], 'certificate');
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new BadRequest(`malformed certificate: ${(error as Error).message}`);
  }
  try {
    return describeCertificate(der, cert);
  } catch (error) {
    // The outer structure parsed, but an extension value or the key inside did not: still bad input.
    if (error instanceof FleetPkiError) throw error;
    throw new BadRequest(`malformed certificate: ${(error as Error).message}`);
  }
}

function describeCertificate(der: Buffer, cert: Certificate): CertificateInfo {
  const tbs = children(der, children(der, readTop(der))[0]);
  const offset = tbs[0].tag === TAG.CONTEXT_0 ? 1 : 0;
  const [serial, , issuer, , subject, spki] = tbs.slice(offset);
  const spkiDer = slice(der, spki);
  const publicKey = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  const extensions = cert.tbsCertificate.extensions ?? [];
  const find = (oid: string) => {
    const ext = extensions.find((e) => e.extnID === oid);
    return ext ? extensionValue(ext) : undefined;
  };
  const ski = find(EXTENSION_OIDS.subjectKeyIdentifier);
  const bc = find(EXTENSION_OIDS.basicConstraints);
  const san = find(EXTENSION_OIDS.subjectAltName);
  return {
    der,
    serialHex: serialHexFromInteger(value(der, serial)),
    issuerDer: slice(der, issuer),
    subjectDer: slice(der, subject),
    issuer: nameToString(slice(der, issuer)),
    subject: nameToString(slice(der, subject)),
    notBefore: cert.tbsCertificate.validity.notBefore.getTime(),
    notAfter: cert.tbsCertificate.validity.notAfter.getTime(),
    spkiDer,
    publicKey,
    key: classifyPublicKey(publicKey),
    subjectKeyId: ski ? Buffer.from(extensionValue({ extnValue: AsnConvert.parse(ski, SubjectKeyIdentifier) })) : null,
    isCa: bc ? AsnConvert.parse(bc, BasicConstraints).cA : false,
    sans: san ? decodeSanValue(san) : [],
    fingerprintSha256: sha256Hex(der),
    spkiSha256: sha256Hex(spkiDer),
  };
}

/** True when `der` carries a valid signature by `issuerDer`'s key (node:crypto, i.e. OpenSSL). */
export function isSignedBy(der: Buffer, issuerDer: Buffer): boolean {
  return new X509Certificate(der).verify(new X509Certificate(issuerDer).publicKey);
}
