// The relying party's side of OCSP (RFC 6960): encode a request for one certificate and read
// the BasicOCSPResponse that answers it. Nothing here trusts the answer; the caller checks
// who signed it (src/firmware/ocsp-check.ts).

import { createHash } from 'node:crypto';
import { BadRequest } from '../errors.ts';
import type { CertificateInfo } from './certificate.ts';
import { serialHexFromInteger } from './certificate.ts';
import { children, oidToString, readTime, readTop, sequence, slice, tlv, TAG, unsignedInteger, value, type Tlv } from './der.ts';
import { oidDer } from './keys.ts';

const SHA1 = '1.3.14.3.2.26';
const BASIC = '1.3.6.1.5.5.7.48.1.1';
const CERT_ID_HASHES: Record<string, string> = { [SHA1]: 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
const ENUMERATED = 0x0a;

/** The subjectPublicKey BIT STRING's bits, which the issuerKeyHash covers. */
function publicKeyBits(spkiDer: Buffer): Buffer {
  const [, bits] = children(spkiDer, readTop(spkiDer));
  return value(spkiDer, bits).subarray(1);
}

function hashes(issuer: CertificateInfo, hash: string): { name: Buffer; key: Buffer } {
  return {
    name: createHash(hash).update(issuer.subjectDer).digest(),
    key: createHash(hash).update(publicKeyBits(issuer.spkiDer)).digest(),
  };
}

/** OCSPRequest for one certificate, CertID hashed with SHA-1 as RFC 5019 clients do. */
export function encodeOcspRequest(cert: CertificateInfo, issuer: CertificateInfo): Buffer {
  const { name, key } = hashes(issuer, 'sha1');
  const serial = unsignedInteger(Buffer.from(cert.serialHex.length % 2 ? `0${cert.serialHex}` : cert.serialHex, 'hex'));
  const certId = sequence(sequence(oidDer(SHA1), tlv(TAG.NULL)), tlv(TAG.OCTET_STRING, name), tlv(TAG.OCTET_STRING, key), serial);
  return sequence(sequence(sequence(sequence(certId))));
}

export type OcspCertStatus = { kind: 'good' } | { kind: 'revoked'; at: Date } | { kind: 'unknown' };

export interface OcspSingle {
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date | null;
}

export interface OcspBasicResponse {
  /** ResponseData as encoded: the bytes the signature covers. */
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
  /** Certificates the responder sent (a delegated responder's own), DER. */
  certificates: Buffer[];
  /** The answer for the certificate asked about, or null when the response has none. */
  single: OcspSingle | null;
}

function expect(node: Tlv | undefined, tag: number, what: string): Tlv {
  if (!node || node.tag !== tag) throw new BadRequest(`malformed OCSP response: expected ${what}`);
  return node;
}

function certStatus(der: Buffer, node: Tlv): OcspCertStatus {
  if (node.tag === 0x80) return { kind: 'good' };
  if (node.tag === 0xa1) {
    const [at] = children(der, node);
    return { kind: 'revoked', at: readTime(at.tag, value(der, at)) };
  }
  return { kind: 'unknown' };
}

function matchesCert(der: Buffer, certId: Tlv, cert: CertificateInfo, issuer: CertificateInfo): boolean {
  const [algorithm, nameHash, keyHash, serial] = children(der, certId);
  const hash = CERT_ID_HASHES[oidToString(value(der, children(der, algorithm)[0]))];
  if (!hash) return false;
  const expected = hashes(issuer, hash);
  return value(der, nameHash).equals(expected.name) && value(der, keyHash).equals(expected.key) && serialHexFromInteger(value(der, serial)) === cert.serialHex;
}

function findSingle(der: Buffer, responses: Tlv, cert: CertificateInfo, issuer: CertificateInfo): OcspSingle | null {
  for (const single of children(der, responses)) {
    const [certId, status, thisUpdate, ...rest] = children(der, single);
    if (!matchesCert(der, certId, cert, issuer)) continue;
    const next = rest.find((field) => field.tag === TAG.CONTEXT_0);
    const nextTime = next ? children(der, next)[0] : undefined;
    return {
      status: certStatus(der, status),
      thisUpdate: readTime(thisUpdate.tag, value(der, thisUpdate)),
      nextUpdate: nextTime ? readTime(nextTime.tag, value(der, nextTime)) : null,
    };
  }
  return null;
}

function basicResponse(der: Buffer, cert: CertificateInfo, issuer: CertificateInfo): OcspBasicResponse {
  const [tbs, algorithm, signature, certs] = children(der, readTop(der));
  const fields = children(der, expect(tbs, TAG.SEQUENCE, 'ResponseData'));
  const responses = fields[fields[0].tag === TAG.CONTEXT_0 ? 3 : 2];
  const certificates = certs ? children(der, children(der, certs)[0]).map((c) => slice(der, c)) : [];
  return {
    tbs: slice(der, tbs),
    signatureOid: oidToString(value(der, children(der, algorithm)[0])),
    signature: value(der, expect(signature, TAG.BIT_STRING, 'a signature')).subarray(1),
    certificates,
    single: findSingle(der, expect(responses, TAG.SEQUENCE, 'responses'), cert, issuer),
  };
}

const STATUS_NAMES = ['successful', 'malformedRequest', 'internalError', 'tryLater', '4', 'sigRequired', 'unauthorized'];

/** Reads an OCSPResponse; a responder error status is a BadRequest naming it. */
export function readOcspResponse(input: Uint8Array, cert: CertificateInfo, issuer: CertificateInfo): OcspBasicResponse {
  const der = Buffer.from(input);
  try {
    const [status, bytes] = children(der, readTop(der));
    const code = value(der, expect(status, ENUMERATED, 'a response status'))[0];
    if (code !== 0) throw new BadRequest(`the OCSP responder answered ${STATUS_NAMES[code] ?? code}`);
    const [type, response] = children(der, children(der, expect(bytes, TAG.CONTEXT_0, 'response bytes'))[0]);
    if (oidToString(value(der, type)) !== BASIC) throw new BadRequest('the OCSP response is not a basic response');
    return basicResponse(Buffer.from(value(der, response)), cert, issuer);
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest(`malformed OCSP response: ${(error as Error).message}`);
  }
}
