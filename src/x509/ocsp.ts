// OCSP responses (RFC 6960 4.2) as fleetpki writes them, with the DER writer: a response is
// assembled from parts (the CertID bytes exactly as the client sent them, the status, the
// times) and signed once. The request side is in ocsp-request.ts.

import { createHash } from 'node:crypto';
import { children, readTop, sequence, tlv, TAG } from './der.ts';
import { oidDer } from './keys.ts';

export const OCSP_OID = {
  basic: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  /** id-pkix-ocsp-nocheck: relying parties need not check the responder certificate's status. */
  noCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/** CertID hash algorithms a client may use, by OID, as node:crypto names them. */
export const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** OCSPResponseStatus (RFC 6960 4.2.1); 4 is not used. */
export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;
export type OcspStatus = keyof typeof OCSP_STATUS;

export type CertStatus =
  | { kind: 'good' }
  /** `reason` is the CRLReason code, null to leave revocationReason out. */
  | { kind: 'revoked'; at: Date; reason: number | null }
  | { kind: 'unknown' };

export interface SingleResponseParts {
  /** The complete CertID DER, copied from the request. */
  certId: Buffer;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate: Date;
}

const ENUMERATED = 0x0a;

/** RFC 6960 uses GeneralizedTime throughout, whole seconds in Z (RFC 5280 4.1.2.5.2). */
export function generalizedTime(date: Date): Buffer {
  const digits = date.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'latin1'));
}

function certStatusDer(status: CertStatus): Buffer {
  if (status.kind === 'good') return tlv(0x80);
  if (status.kind === 'unknown') return tlv(0x82);
  const parts = [generalizedTime(status.at)];
  if (status.reason !== null) parts.push(tlv(TAG.CONTEXT_0, tlv(ENUMERATED, Buffer.from([status.reason]))));
  return tlv(0xa1, ...parts);
}

export function encodeSingleResponse(single: SingleResponseParts): Buffer {
  return sequence(single.certId, certStatusDer(single.status), generalizedTime(single.thisUpdate), tlv(TAG.CONTEXT_0, generalizedTime(single.nextUpdate)));
}

export interface ResponseDataParts {
  /** SHA-1 of the responder's public key (ResponderID byKey, which RFC 5019 2.2.3 recommends). */
  responderKeyHash: Buffer;
  producedAt: Date;
  /** Encoded SingleResponses. */
  responses: Buffer[];
  /** Complete Extension DERs (the echoed nonce). */
  extensions: Buffer[];
}

export function encodeResponseData(parts: ResponseDataParts): Buffer {
  const fields = [tlv(0xa2, tlv(TAG.OCTET_STRING, parts.responderKeyHash)), generalizedTime(parts.producedAt), sequence(...parts.responses)];
  if (parts.extensions.length > 0) fields.push(tlv(0xa1, sequence(...parts.extensions)));
  return sequence(...fields);
}

/** OCSPResponse { successful, BasicOCSPResponse } with the responder certificate in certs. */
export function encodeOcspResponse(tbs: Buffer, algorithmDer: Buffer, signature: Buffer, certs: Buffer[]): Buffer {
  const basic = sequence(tbs, algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), signature), tlv(TAG.CONTEXT_0, sequence(...certs)));
  const responseBytes = sequence(oidDer(OCSP_OID.basic), tlv(TAG.OCTET_STRING, basic));
  return sequence(tlv(ENUMERATED, Buffer.from([OCSP_STATUS.successful])), tlv(TAG.CONTEXT_0, responseBytes));
}

const ERROR_RESPONSES = new Map(Object.entries(OCSP_STATUS).map(([name, code]) => [name, sequence(tlv(ENUMERATED, Buffer.from([code])))]));

/** An unsuccessful OCSPResponse: the status alone, unsigned (RFC 6960 2.3). */
export function errorResponse(status: Exclude<OcspStatus, 'successful'>): Buffer {
  return ERROR_RESPONSES.get(status)!;
}

/** The subjectPublicKey BIT STRING's bytes, without the unused-bits octet: what issuerKeyHash and byKey hash. */
export function publicKeyBits(spkiDer: Buffer): Buffer {
  const [, bitString] = children(spkiDer, readTop(spkiDer));
  return spkiDer.subarray(bitString.valueStart + 1, bitString.end);
}

/** issuerNameHash and issuerKeyHash of a CA for one CertID hash algorithm (RFC 6960 4.1.1). */
export function issuerHashes(subjectDer: Buffer, spkiDer: Buffer, hash: string): { nameHash: Buffer; keyHash: Buffer } {
  return {
    nameHash: createHash(hash).update(subjectDer).digest(),
    keyHash: createHash(hash).update(publicKeyBits(spkiDer)).digest(),
  };
}
