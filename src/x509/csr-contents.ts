// What a CSR asks for, read without checking its signature. Server-side key generation
// (RFC 7030 4.4.1) must ignore the CSR's public key and signature, so parseCsr, which
// insists on proof of possession, cannot be used there; everything else uses parseCsr.

import { BadRequest } from '../errors.ts';
import { children, oidToString, readTop, slice, TAG, value, type Tlv } from './der.ts';
import { MAX_CSR_BYTES } from './csr.ts';
import { OID } from './oids.ts';
import { derFromInput } from './pem.ts';
import { decodeSanValue, type San } from './san.ts';

export interface CsrContents {
  der: Buffer;
  subjectDer: Buffer;
  requestedSans: San[];
  /** OIDs of the attributes in certificationRequestInfo (extensionRequest, challengePassword...). */
  attributeTypes: string[];
}

function attributesOf(der: Buffer, info: Tlv[]): Tlv[] {
  const attributes = info.find((p) => p.tag === TAG.CONTEXT_0);
  return attributes ? children(der, attributes) : [];
}

function sansOf(der: Buffer, attribute: Tlv): San[] {
  const [, values] = children(der, attribute);
  const [extensions] = children(der, values);
  for (const extension of extensions ? children(der, extensions) : []) {
    const parts = children(der, extension);
    if (oidToString(value(der, parts[0])) === OID.subjectAltName) return decodeSanValue(value(der, parts[parts.length - 1]));
  }
  return [];
}

export function readCsrContents(input: string | Uint8Array): CsrContents {
  const der = derFromInput(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'CSR');
  if (der.length > MAX_CSR_BYTES) throw new BadRequest(`CSR is larger than ${MAX_CSR_BYTES} bytes`);
  const parts = children(der, readTop(der));
  if (parts.length !== 3 || parts[0].tag !== TAG.SEQUENCE) throw new BadRequest('malformed CSR: not a PKCS#10 CertificationRequest');
  const info = children(der, parts[0]);
  if (info.length < 3 || info[1].tag !== TAG.SEQUENCE) throw new BadRequest('malformed CSR: certificationRequestInfo is incomplete');
  const attributeTypes: string[] = [];
  let requestedSans: San[] = [];
  for (const attribute of attributesOf(der, info)) {
    const type = oidToString(value(der, children(der, attribute)[0]));
    attributeTypes.push(type);
    if (type === OID.extensionRequest) requestedSans = sansOf(der, attribute);
  }
  return { der, subjectDer: slice(der, info[1]), requestedSans, attributeTypes };
}
