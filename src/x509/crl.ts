// Certificate revocation lists (RFC 5280 section 5): encode a TBSCertList from pre-encoded
// entries with the DER writer (a CRL may hold a million entries; a schema serialiser per
// entry would dominate the time), and read one back for the CLI and the tests.

import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, CRLReason, id_ce_cRLNumber, id_ce_cRLReasons, id_ce_issuingDistributionPoint } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { encodeCertificate } from './certificate.ts';
import { children, encodeLength, readTop, sequence, time, tlv, TAG, unsignedInteger, value } from './der.ts';
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

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 5.1.2.6), from ISO text without a Date. */
function writeTime(out: Buffer, at: number, iso: string): number {
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const text = iso < '2050' ? digits.slice(2) : digits;
  out[at] = iso < '2050' ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
  out[at + 1] = text.length;
  return at + 2 + out.write(text, at + 2, 'latin1');
}

/**
 * One revokedCertificates entry, written into one buffer: a CRL may hold a million of them.
 * `revokedAt` is ISO 8601 text in UTC as the ledger stores it; whole seconds are kept.
 * RFC 5280 5.3.1: the reasonCode extension SHOULD be absent rather than say unspecified (0),
 * so `reasonCode` 0 and null both leave it out.
 */
export function encodeCrlEntry(serialHex: string, revokedAt: string, reasonCode: number | null): Buffer {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(revokedAt) || revokedAt < '1950') throw new RangeError(`revocation time ${revokedAt} is not ISO 8601 UTC from 1950`);
  let serial = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  let first = 0;
  while (first < serial.length - 1 && serial[first] === 0) first++;
  serial = serial.subarray(first);
  const pad = serial[0] & 0x80 ? 1 : 0;
  const reason = reasonCode ? reasonExtension(reasonCode) : null;
  const timeLength = revokedAt < '2050' ? 15 : 17;
  const content = 2 + pad + serial.length + timeLength + (reason?.length ?? 0);
  if (serial.length > 20 || content > 127) throw new RangeError(`serial ${serialHex} is longer than RFC 5280 allows`);
  const out = Buffer.allocUnsafe(2 + content);
  out[0] = TAG.SEQUENCE;
  out[1] = content;
  out[2] = TAG.INTEGER;
  out[3] = pad + serial.length;
  if (pad) out[4] = 0;
  let at = 4 + pad + serial.copy(out, 4 + pad);
  at = writeTime(out, at, revokedAt);
  if (reason) reason.copy(out, at);
  return out;
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
  // Its header goes in front of the entries as they are, so tens of megabytes are copied once.
  if (parts.entries.length > 0) body.push(sequenceHeader(parts.entries), ...parts.entries);
  body.push(tlv(TAG.CONTEXT_0, sequence(...extensions)));
  return sequence(...body);
}

/** Tag and length of a SEQUENCE holding `contents`, without copying them. */
function sequenceHeader(contents: Buffer[]): Buffer {
  let length = 0;
  for (const part of contents) length += part.length;
  return Buffer.concat([Buffer.from([TAG.SEQUENCE]), encodeLength(length)]);
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
