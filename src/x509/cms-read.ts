// Reading a detached CMS SignedData (RFC 5652) for verification. The certificates and the
// signed attributes are sliced out of the input as they were encoded (the DER walker), since
// a signature covers those exact bytes and a re-encoding by a schema could differ from what
// another tool (openssl cms) wrote; the schema decodes only the fields that are read.

import { verify, type KeyObject } from 'node:crypto';
import { id_data, id_signedData, SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BadRequest } from '../errors.ts';
import { children, oidToString, readTime, readTop, slice, tlv, TAG, value, type Tlv } from './der.ts';
import { signatureDigest } from './cms-algorithms.ts';
import { CMS_ATTRIBUTE_OIDS } from './cms-sign.ts';
import { serialHexFromInteger } from './certificate.ts';
import { derFromInput } from './pem.ts';

export interface SignerId {
  /** issuerAndSerialNumber (SignerInfo version 1). */
  issuerDer?: Buffer;
  serialHex?: string;
  /** subjectKeyIdentifier (version 3, `openssl cms -keyid`). */
  subjectKeyId?: Buffer;
}

export interface DetachedSignature {
  /** Every certificate the SignedData carries, DER as encoded. */
  certificates: Buffer[];
  signer: SignerId;
  digestOid: string;
  signatureOid: string;
  signature: Buffer;
  /** The signed attributes re-tagged as SET OF: the bytes the signature covers. */
  signedAttributesDer: Buffer;
  contentType: string;
  messageDigest: Buffer;
  signingTime: Date | null;
}

const CONTEXT_1 = 0xa1;

function expectTag(node: Tlv | undefined, tag: number, what: string): Tlv {
  if (!node || node.tag !== tag) throw new BadRequest(`malformed CMS signature: expected ${what}`);
  return node;
}

/** ContentInfo -> the SignedData's fields, refusing anything but one detached signer. */
function signedDataFields(der: Buffer): { certificates: Buffer[]; signerInfo: Tlv } {
  const [type, explicit] = children(der, readTop(der));
  if (oidToString(value(der, expectTag(type, TAG.OID, 'a content type'))) !== id_signedData) throw new BadRequest('the CMS object is not SignedData');
  const [signedData] = children(der, expectTag(explicit, TAG.CONTEXT_0, 'the [0] content'));
  const fields = children(der, expectTag(signedData, TAG.SEQUENCE, 'SignedData'));
  const encap = children(der, expectTag(fields[2], TAG.SEQUENCE, 'EncapsulatedContentInfo'));
  if (encap.length > 1) throw new BadRequest('the CMS signature is not detached: it carries the content itself');
  let next = 3;
  const certificates: Buffer[] = [];
  if (fields[next]?.tag === TAG.CONTEXT_0) {
    // Only plain certificates (SEQUENCE); attribute and other certificate formats are skipped.
    for (const choice of children(der, fields[next])) if (choice.tag === TAG.SEQUENCE) certificates.push(slice(der, choice));
    next++;
  }
  if (fields[next]?.tag === CONTEXT_1) next++;
  const signerInfos = children(der, expectTag(fields[next], TAG.SET, 'SignerInfos'));
  if (signerInfos.length !== 1) throw new BadRequest(`the CMS signature has ${signerInfos.length} signers; exactly one is expected`);
  return { certificates, signerInfo: signerInfos[0] };
}

interface Attributes {
  contentType: string;
  messageDigest: Buffer;
  signingTime: Date | null;
}

/** RFC 5652 5.3: contentType and messageDigest are required, each attribute type at most once, one value each. */
function readAttributes(der: Buffer, signedAttrs: Tlv): Attributes {
  const values = new Map<string, Tlv>();
  for (const attribute of children(der, signedAttrs)) {
    const [type, set] = children(der, attribute);
    const oid = oidToString(value(der, expectTag(type, TAG.OID, 'an attribute type')));
    const items = children(der, expectTag(set, TAG.SET, 'attribute values'));
    if (values.has(oid) || items.length !== 1) throw new BadRequest(`malformed CMS signature: attribute ${oid} must occur once with one value`);
    values.set(oid, items[0]);
  }
  const contentType = values.get(CMS_ATTRIBUTE_OIDS.contentType);
  const digest = values.get(CMS_ATTRIBUTE_OIDS.messageDigest);
  if (!contentType || !digest) throw new BadRequest('malformed CMS signature: the contentType and messageDigest signed attributes are required');
  const time = values.get(CMS_ATTRIBUTE_OIDS.signingTime);
  return {
    contentType: oidToString(value(der, expectTag(contentType, TAG.OID, 'a content type OID'))),
    messageDigest: Buffer.from(value(der, expectTag(digest, TAG.OCTET_STRING, 'a message digest'))),
    signingTime: time ? readTime(time.tag, value(der, time)) : null,
  };
}

function signerId(info: SignerInfo): SignerId {
  const { issuerAndSerialNumber: ias, subjectKeyIdentifier: ski } = info.sid;
  if (ias) {
    return { issuerDer: Buffer.from(AsnConvert.serialize(ias.issuer)), serialHex: serialHexFromInteger(Buffer.from(ias.serialNumber)) };
  }
  if (ski) return { subjectKeyId: Buffer.from(ski.buffer) };
  throw new BadRequest('malformed CMS signature: no signer identifier');
}

/** Parses a detached CMS signature, DER or PEM ("CMS" or "PKCS7" blocks). */
export function readDetachedSignature(input: string | Uint8Array): DetachedSignature {
  const der = derFromInput(input, ['CMS', 'PKCS7'], 'CMS signature');
  try {
    const { certificates, signerInfo } = signedDataFields(der);
    const info = AsnConvert.parse(slice(der, signerInfo), SignerInfo);
    const signedAttrs = children(der, signerInfo).find((field) => field.tag === TAG.CONTEXT_0);
    if (!signedAttrs) throw new BadRequest('the CMS signature has no signed attributes; they are required (content type, digest, signing time)');
    const attributes = readAttributes(der, signedAttrs);
    if (attributes.contentType !== id_data) throw new BadRequest(`the CMS signature is over content type ${attributes.contentType}, not data`);
    return {
      certificates,
      signer: signerId(info),
      digestOid: info.digestAlgorithm.algorithm,
      signatureOid: info.signatureAlgorithm.algorithm,
      signature: Buffer.from(info.signature.buffer),
      signedAttributesDer: tlv(TAG.SET, value(der, signedAttrs)),
      ...attributes,
    };
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest(`malformed CMS signature: ${(error as Error).message}`);
  }
}

/** True when the SignerInfo's signature over the signed attributes verifies with `publicKey`. */
export function signerInfoSignatureValid(sig: DetachedSignature, publicKey: KeyObject): boolean {
  const digest = signatureDigest(sig.signatureOid, sig.digestOid, publicKey.asymmetricKeyType);
  return verify(digest, sig.signedAttributesDer, publicKey, sig.signature);
}
