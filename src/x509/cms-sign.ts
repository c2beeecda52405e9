// Detached CMS SignedData (RFC 5652), the form `openssl cms -verify -binary -content` checks:
// no encapsulated content, signed attributes contentType + signingTime + messageDigest, the
// signer identified by issuer and serial number, the signer's and CA certificates included.
// The content is never in memory here: the caller passes its digest, computed as a stream.

import { sign, type KeyObject } from 'node:crypto';
import {
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  Attribute,
  id_data,
  id_signedData,
  CMSVersion,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, Name } from '@peculiar/asn1-x509';
import { sequence, time, tlv, TAG } from './der.ts';
import { DIGEST_OIDS, type DigestName } from './cms-algorithms.ts';
import { oidDer } from './keys.ts';

export const CMS_ATTRIBUTE_OIDS = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

export interface DetachedSignatureInput {
  /** Digest of the content with `digest`, computed by the caller (streamed for large files). */
  contentDigest: Buffer;
  digest: DigestName;
  signingTime: Date;
  privateKey: KeyObject;
  /** The signer's certificate, DER. */
  signerDer: Buffer;
  issuerDer: Buffer;
  serial: Buffer;
  /** AlgorithmIdentifier DER of the signature (src/x509/keys.ts signatureScheme). */
  signatureAlgorithmDer: Buffer;
  /** CA certificates to carry beside the signer's (the issuing CA), DER. */
  chainDer: Buffer[];
}

function attribute(oid: string, valueDer: Buffer): Buffer {
  return sequence(oidDer(oid), tlv(TAG.SET, valueDer));
}

/** DER orders a SET OF by the encodings of its elements (X.690 11.6). */
function derSetOrder(items: Buffer[]): Buffer[] {
  return [...items].sort(Buffer.compare);
}

export function signedAttributes(input: Pick<DetachedSignatureInput, 'contentDigest' | 'signingTime'>): Buffer[] {
  return derSetOrder([
    attribute(CMS_ATTRIBUTE_OIDS.contentType, oidDer(id_data)),
    attribute(CMS_ATTRIBUTE_OIDS.signingTime, time(input.signingTime)),
    attribute(CMS_ATTRIBUTE_OIDS.messageDigest, tlv(TAG.OCTET_STRING, input.contentDigest)),
  ]);
}

const toArrayBuffer = (der: Buffer): ArrayBuffer => new Uint8Array(der).buffer;

function signerInfo(input: DetachedSignatureInput, attributes: Buffer[], signature: Buffer): SignerInfo {
  return new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: AsnConvert.parse(input.issuerDer, Name), serialNumber: toArrayBuffer(input.serial) }),
    }),
    digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: DIGEST_OIDS[input.digest] }),
    signedAttrs: attributes.map((der) => AsnConvert.parse(der, Attribute)),
    signatureAlgorithm: AsnConvert.parse(input.signatureAlgorithmDer, SignatureAlgorithmIdentifier),
    signature: new OctetString(signature),
  });
}

/** ContentInfo DER of a detached SignedData over content whose digest is given. */
export function signDetached(input: DetachedSignatureInput): Buffer {
  const attributes = signedAttributes(input);
  // RFC 5652 5.4: the signature covers the attributes encoded as an explicit SET OF, not as
  // the [0] IMPLICIT field they are carried in.
  const signature = sign(input.digest, tlv(TAG.SET, ...attributes), input.privateKey);
  const certificates = [input.signerDer, ...input.chainDer].map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }));
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: DIGEST_OIDS[input.digest] })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certificates),
    signerInfos: new SignerInfos([signerInfo(input, attributes, signature)]),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })));
}
