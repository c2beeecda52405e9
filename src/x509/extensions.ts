// X.509 v3 extensions, each encoded once as a complete Extension (OID, criticality, value).
// Values come from the @peculiar schemas; the wrapper is assembled here so that constant
// extensions (AKI, CRL DP, AIA, key usage of a profile) can be cached as bytes.

import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
} from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { children, readTop, sequence, tlv, TAG } from './der.ts';
import { oidDer } from './keys.ts';
import { EXTENDED_KEY_USAGES, OID } from './oids.ts';
import { encodeSanValue, type San } from './san.ts';

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: OID.subjectAltName,
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
] as const;
export type KeyUsageName = (typeof KEY_USAGES)[number];

export function extension(oid: string, critical: boolean, valueDer: Uint8Array): Buffer {
  const parts = [oidDer(oid)];
  if (critical) parts.push(tlv(0x01, Buffer.from([0xff])));
  parts.push(tlv(TAG.OCTET_STRING, valueDer));
  return sequence(...parts);
}

const serialize = (value: unknown): Buffer => Buffer.from(AsnConvert.serialize(value));

export function basicConstraints(isCa: boolean, pathLength?: number): Buffer {
  const value = isCa ? new BasicConstraints({ cA: true, pathLenConstraint: pathLength }) : new BasicConstraints({});
  return extension(EXTENSION_OIDS.basicConstraints, true, serialize(value));
}

export function keyUsage(usages: readonly KeyUsageName[]): Buffer {
  let flags = 0;
  for (const usage of usages) flags |= KeyUsageFlags[usage];
  return extension(EXTENSION_OIDS.keyUsage, true, serialize(new KeyUsage(flags)));
}

export function extKeyUsageOid(name: string): string {
  const oid = EXTENDED_KEY_USAGES[name] ?? (/^\d+(\.\d+)+$/.test(name) ? name : undefined);
  if (!oid) throw new BadRequest(`unknown extended key usage "${name}"`);
  return oid;
}

export function extKeyUsage(usages: readonly string[]): Buffer {
  return extension(EXTENSION_OIDS.extKeyUsage, false, serialize(new ExtendedKeyUsage(usages.map(extKeyUsageOid))));
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = readTop(spkiDer);
  const [, bitString] = children(spkiDer, spki);
  return createHash('sha1').update(spkiDer.subarray(bitString.valueStart + 1, bitString.end)).digest();
}

export function subjectKeyIdentifier(keyId: Buffer): Buffer {
  return extension(EXTENSION_OIDS.subjectKeyIdentifier, false, tlv(TAG.OCTET_STRING, keyId));
}

export function authorityKeyIdentifier(issuerKeyId: Buffer): Buffer {
  const value = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) });
  return extension(EXTENSION_OIDS.authorityKeyIdentifier, false, serialize(value));
}

/** Critical when the subject is empty (RFC 5280 4.2.1.6). */
export function subjectAltName(sans: San[], critical: boolean): Buffer {
  return extension(EXTENSION_OIDS.subjectAltName, critical, encodeSanValue(sans));
}

export function crlDistributionPoint(url: string): Buffer {
  const point = new DistributionPoint({
    distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: url })] }),
  });
  return extension(EXTENSION_OIDS.crlDistributionPoints, false, serialize(new CRLDistributionPoints([point])));
}

export function authorityInfoAccess(urls: { ocsp?: string; caIssuers?: string }): Buffer {
  const items: AccessDescription[] = [];
  if (urls.ocsp) {
    items.push(new AccessDescription({ accessMethod: OID.adOcsp, accessLocation: new GeneralName({ uniformResourceIdentifier: urls.ocsp }) }));
  }
  if (urls.caIssuers) {
    items.push(
      new AccessDescription({ accessMethod: OID.adCaIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: urls.caIssuers }) }),
    );
  }
  return extension(EXTENSION_OIDS.authorityInfoAccess, false, serialize(new AuthorityInfoAccessSyntax(items)));
}

/** The bytes of an extension's value (an OctetString view may sit inside a larger buffer). */
export function extensionValue(ext: { extnValue: ArrayBufferView }): Uint8Array {
  const view = ext.extnValue;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The key identifier an authorityKeyIdentifier value names, hex; null when it names none. Throws on a malformed value. */
export function authorityKeyIdHex(value: Uint8Array): string | null {
  const keyId = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
  return keyId ? Buffer.from(extensionValue({ extnValue: keyId })).toString('hex') : null;
}
