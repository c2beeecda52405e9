// Certificate revocation lists (RFC 5280 section 5): encode a TBSCertList from pre-encoded
// entries with the DER writer (a CRL may hold a million entries; a schema serialiser per
// entry would dominate the time), and read one back for the CLI and the tests.

import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, CRLReason, id_ce_cRLNumber, id_ce_cRLReasons, id_ce_issuingDistributionPoint } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { encodeCertificate } from './certificate.ts';
import { children, readTop, sequence, time, tlv, TAG, unsignedInteger, value } from './der.ts';
import { authorityKeyIdentifier, extension, extensionValue } from './extensions.ts';
import { nameToString } from './name.ts';
import { derFromInput } from './pem.ts';

const VERSION_2 = tlv(TAG.INTEGER, Buffer.from([1]));
const ENUMERATED = 0x0a;

/** reasonCode entry extensions, one per code: there are only ten. */
const reasonExtensions = new Map<number, Buffer>();

function reasonExtension(code: number): Buffer {
  let der = reasonExtensions.get(code);
  if (!der) {
    der = sequence(extension(id_ce_cRLReasons, false, tlv(ENUMERATED, Buffer.from([code]))));
    reasonExtensions.set(code, der);
  }
  return der;
}

/**
 * One revokedCertificates entry. RFC 5280 5.3.1: the reasonCode extension SHOULD be absent
 * rather than say unspecified (0), so `reasonCode` 0 and null both leave it out.
 */
export function encodeCrlEntry(serialHex: string, revokedAt: Date, reasonCode: number | null): Buffer {
  const serial = unsignedInteger(Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex'));
  if (!reasonCode) return sequence(serial, time(revokedAt));
  return sequence(serial, time(revokedAt), reasonExtension(reasonCode));
}

/** The number as a minimal positive DER INTEGER (RFC 5280 5.2.3: at most 20 octets). */
function crlNumber(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`CRL number ${value} is not a non-negative safe integer`);
  const hex = value.toString(16);
  return extension(id_ce_cRLNumber, false, unsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')));
}

/**
 * issuingDistributionPoint (RFC 5280 5.2.5), critical, naming only the distribution point:
 * a relying party uses this CRL for a certificate only if the certificate's CRL
 * distribution point is this same URL, which is what makes a partition a partition.
 */
export function issuingDistributionPoint(url: string): Buffer {
  const uri = tlv(0x86, Buffer.from(url, 'latin1'));
  const fullName = tlv(TAG.CONTEXT_0, uri);
  return extension(id_ce_issuingDistributionPoint, true, sequence(tlv(TAG.CONTEXT_0, fullName)));
}

export interface CrlParts {
  signatureAlgorithm: Buffer;
  /** DER Name of the CA (its certificate's subject). */
  issuer: Buffer;
  issuerKeyId: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  /** Set for a partition: the URL its certificates carry as their CRL distribution point. */
  distributionPoint?: string;
  /** Pre-encoded entries (encodeCrlEntry). */
  entries: Buffer[];
}

export function encodeTbsCertList(parts: CrlParts): Buffer {
  const extensions = [authorityKeyIdentifier(parts.issuerKeyId), crlNumber(parts.crlNumber)];
  if (parts.distributionPoint) extensions.push(issuingDistributionPoint(parts.distributionPoint));
  const body = [VERSION_2, parts.signatureAlgorithm, parts.issuer, time(parts.thisUpdate), time(parts.nextUpdate)];
  // An empty revokedCertificates must be absent, not an empty SEQUENCE (RFC 5280 5.1.2.6).
  if (parts.entries.length > 0) body.push(sequence(...parts.entries));
  body.push(tlv(TAG.CONTEXT_0, sequence(...extensions)));
  return sequence(...body);
}

/** CertificateList has the same outer shape as Certificate: tbs, algorithm, BIT STRING. */
export const encodeCertificateList = encodeCertificate;

export interface CrlEntryInfo {
  serialHex: string;
  revokedAt: Date;
  reason: string | null;
}

export interface CrlInfo {
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: number | null;
  distributionPoint: string | null;
  entries: CrlEntryInfo[];
}

function findExtension(list: CertificateList['tbsCertList']['crlExtensions'], oid: string): Uint8Array | undefined {
  const ext = list?.find((e) => e.extnID === oid);
  return ext ? extensionValue(ext) : undefined;
}

/** The URI of an IDP SEQUENCE { [0] distributionPoint { [0] fullName { [6] uri } } }, if it has one. */
function readIdpUrl(der: Uint8Array | undefined): string | null {
  if (!der) return null;
  const buf = Buffer.from(der);
  const point = children(buf, readTop(buf)).find((t) => t.tag === TAG.CONTEXT_0);
  const fullName = point && children(buf, point).find((t) => t.tag === TAG.CONTEXT_0);
  const uri = fullName && children(buf, fullName).find((t) => t.tag === 0x86);
  return uri ? value(buf, uri).toString('latin1') : null;
}

/** Decodes a CRL (PEM "X509 CRL" or DER) with the @peculiar schemas: independent of the encoder above. */
export function parseCrl(input: string | Uint8Array): CrlInfo {
  const der = derFromInput(input, ['X509 CRL'], 'CRL');
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (error) {
    throw new BadRequest(`malformed CRL: ${(error as Error).message}`);
  }
  const tbs = crl.tbsCertList;
  const number = findExtension(tbs.crlExtensions, id_ce_cRLNumber);
  return {
    issuer: nameToString(new Uint8Array(AsnConvert.serialize(tbs.issuer))),
    thisUpdate: tbs.thisUpdate.getTime(),
    nextUpdate: tbs.nextUpdate?.getTime() ?? null,
    crlNumber: number ? AsnConvert.parse(number, CRLNumber).value : null,
    distributionPoint: readIdpUrl(findExtension(tbs.crlExtensions, id_ce_issuingDistributionPoint)),
    entries: (tbs.revokedCertificates ?? []).map((entry) => {
      const reason = entry.crlEntryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
      return {
        serialHex: Buffer.from(entry.userCertificate).toString('hex').replace(/^(00)+(?=.)/, ''),
        revokedAt: entry.revocationDate.getTime(),
        reason: reason ? AsnConvert.parse(extensionValue(reason), CRLReason).toJSON() : null,
      };
    }),
  };
}
