// CMS "certs-only" SignedData (RFC 5652 5.1, the CMC Simple PKI Response of RFC 5272 4.1):
// no signers, no content, just certificates. EST answers cacerts and enrolments with it.
// Encoded with the DER writer so each certificate goes out byte for byte as it was signed
// (and no certificate is decoded again on the enrolment hot path); read back with the
// @peculiar CMS schema.

import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData, id_data, id_signedData } from '@peculiar/asn1-cms';
import { BadRequest } from '../errors.ts';
import { sequence, tlv, TAG } from './der.ts';
import { oidDer } from './keys.ts';

const SIGNED_DATA = oidDer(id_signedData);
const DATA = oidDer(id_data);
const VERSION_1 = tlv(TAG.INTEGER, Buffer.from([1]));
const EMPTY_SET = tlv(TAG.SET);
/** certificates [0] IMPLICIT CertificateSet: constructed, context tag 0. */
const CERTIFICATES_TAG = 0xa0;

export function encodeCertsOnly(certificates: Uint8Array[]): Buffer {
  if (certificates.length === 0) throw new RangeError('a certs-only response needs at least one certificate');
  const signedData = sequence(VERSION_1, EMPTY_SET, sequence(DATA), tlv(CERTIFICATES_TAG, ...certificates), EMPTY_SET);
  return sequence(SIGNED_DATA, tlv(TAG.CONTEXT_0, signedData));
}

/** The certificates (DER) of a certs-only SignedData, in the order they were encoded. */
export function decodeCertsOnly(der: Uint8Array): Buffer[] {
  let signedData: SignedData;
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error(`content type is ${info.contentType}, not signedData`);
    signedData = AsnConvert.parse(info.content, SignedData);
  } catch (error) {
    throw new BadRequest(`malformed certs-only CMS: ${(error as Error).message}`);
  }
  // A plain array: CertificateSet's own map would return another CertificateSet.
  return [...(signedData.certificates ?? [])]
    .filter((choice) => choice.certificate)
    .map((choice) => Buffer.from(AsnConvert.serialize(choice.certificate)));
}
