// Decoding OCSPRequest (RFC 6960 4.1.1) with the DER walker rather than a schema library:
// it runs on every OCSP query, and the responder needs each CertID's exact bytes, both to
// echo them in the response and as the cache key. Every structural surprise is BadRequest,
// which the OCSP front end answers with malformedRequest.

import { BadRequest } from '../errors.ts';
import { children, oidToString, readTop, slice, TAG, value, type Tlv } from './der.ts';
import { serialHexFromInteger } from './certificate.ts';
import { OCSP_OID } from './ocsp.ts';

export interface CertId {
  /** The complete CertID DER as sent. */
  der: Buffer;
  hashOid: string;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  /** Lowercase hex without sign padding, as the inventory stores serials. */
  serialHex: string;
}

export interface OcspRequest {
  certIds: CertId[];
  /** The nonce Extension exactly as sent, to echo; null when absent or not echoable. */
  nonce: Buffer | null;
}

/** RFC 8954 2.1: responders must echo nonces of 1 to 32 octets and may ignore others. */
const MAX_NONCE_OCTETS = 32;
const BOOLEAN = 0x01;

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new BadRequest(`malformed OCSP request: expected ${what}`);
  return tlv;
}

function readCertId(der: Buffer, node: Tlv): CertId {
  const [algorithm, nameHash, keyHash, serial, extra] = children(der, expect(node, TAG.SEQUENCE, 'a CertID'));
  const [oid] = children(der, expect(algorithm, TAG.SEQUENCE, 'a hash AlgorithmIdentifier'));
  expect(nameHash, TAG.OCTET_STRING, 'issuerNameHash');
  expect(keyHash, TAG.OCTET_STRING, 'issuerKeyHash');
  expect(serial, TAG.INTEGER, 'a serialNumber');
  if (extra || serial.end === serial.valueStart) throw new BadRequest('malformed OCSP request: bad CertID');
  return {
    der: slice(der, node),
    hashOid: oidToString(value(der, expect(oid, TAG.OID, 'a hash algorithm OID'))),
    issuerNameHash: value(der, nameHash),
    issuerKeyHash: value(der, keyHash),
    serialHex: serialHexFromInteger(value(der, serial)),
  };
}

function readRequestList(der: Buffer, list: Tlv, maxCertIds: number): CertId[] {
  const requests = children(der, expect(list, TAG.SEQUENCE, 'a requestList'));
  if (requests.length === 0) throw new BadRequest('malformed OCSP request: the requestList is empty');
  if (requests.length > maxCertIds) throw new BadRequest(`OCSP request asks for ${requests.length} certificates; at most ${maxCertIds} are answered at once`);
  return requests.map((request) => {
    const [certId, extensions, extra] = children(der, expect(request, TAG.SEQUENCE, 'a Request'));
    // singleRequestExtensions (e.g. a service locator) are optional to honour; their presence is fine.
    if (extra || (extensions && extensions.tag !== TAG.CONTEXT_0)) throw new BadRequest('malformed OCSP request: bad Request');
    return readCertId(der, certId);
  });
}

/** The nonce's octets: RFC 8954 wraps them in an OCTET STRING; some clients put them bare in extnValue. */
function nonceOctets(extnValue: Buffer): Buffer {
  if (extnValue[0] === TAG.OCTET_STRING) {
    try {
      return value(extnValue, readTop(extnValue));
    } catch {
      return extnValue;
    }
  }
  return extnValue;
}

function readExtensions(der: Buffer, wrapper: Tlv): Buffer | null {
  let nonce: Buffer | null = null;
  const [list, extra] = children(der, wrapper);
  if (extra) throw new BadRequest('malformed OCSP request: bad requestExtensions');
  for (const ext of children(der, expect(list, TAG.SEQUENCE, 'Extensions'))) {
    const parts = children(der, expect(ext, TAG.SEQUENCE, 'an Extension'));
    if (parts.length < 2 || parts.length > 3) throw new BadRequest('malformed OCSP request: bad Extension');
    const oid = oidToString(value(der, expect(parts[0], TAG.OID, 'an extension OID')));
    const critical = parts.length === 3 && expect(parts[1], BOOLEAN, 'a criticality flag') && der[parts[1].valueStart] !== 0;
    const extnValue = value(der, expect(parts[parts.length - 1], TAG.OCTET_STRING, 'an extension value'));
    if (oid === OCSP_OID.nonce) {
      const octets = nonceOctets(extnValue).length;
      nonce = octets >= 1 && octets <= MAX_NONCE_OCTETS ? slice(der, ext) : null;
    } else if (critical) {
      throw new BadRequest(`OCSP request has a critical extension this responder does not know: ${oid}`);
    }
  }
  return nonce;
}

/**
 * TBSRequest ::= SEQUENCE { version [0] DEFAULT v1, requestorName [1] OPTIONAL,
 * requestList SEQUENCE OF Request, requestExtensions [2] OPTIONAL }. A signature
 * (optionalSignature) is accepted and not checked: fleetpki answers anyone (RFC 5019 2.1.2).
 */
export function parseOcspRequest(der: Buffer, maxCertIds: number): OcspRequest {
  const [tbs, signature, extra] = children(der, expect(readTop(der), TAG.SEQUENCE, 'an OCSPRequest'));
  if (extra || (signature && signature.tag !== TAG.CONTEXT_0)) throw new BadRequest('malformed OCSP request: unexpected fields after tbsRequest');
  const fields = children(der, expect(tbs, TAG.SEQUENCE, 'a TBSRequest'));
  let i = 0;
  if (fields[i]?.tag === TAG.CONTEXT_0) {
    const [version] = children(der, fields[i++]);
    const v = value(der, expect(version, TAG.INTEGER, 'a version'));
    if (v.length !== 1 || v[0] !== 0) throw new BadRequest('unsupported OCSP request version');
  }
  if (fields[i]?.tag === 0xa1) i++;
  const certIds = readRequestList(der, fields[i++], maxCertIds);
  const nonce = fields[i]?.tag === 0xa2 ? readExtensions(der, fields[i++]) : null;
  if (i !== fields.length) throw new BadRequest('malformed OCSP request: unexpected fields in tbsRequest');
  return { certIds, nonce };
}
