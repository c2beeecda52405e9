// One CRL file brought from an offline CA's instance, judged on its own before anything is
// stored: which CA it is for (by authority key identifier, then issuer name and signature
// against that CA's certificate as known here, never what the file claims), that its times
// are sane and it is still current, that it carries a CRL number, and for a partition that
// its scope is a URL this instance serves for that CA. What it must list is checked across
// the whole import (crl-import.ts).

import { createHash, verify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificateList,
  CRLNumber,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_deltaCRLIndicator,
  id_ce_issuingDistributionPoint,
  IssuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { caUrls, crlPartitionUrl } from '../ca/urls.ts';
import { BadRequest, FleetPkiError, NotFound, PolicyDenied } from '../errors.ts';
import type { CaRow } from '../store/repos/cas.ts';
import { parseCertificate, serialHexFromInteger, type CertificateInfo } from '../x509/certificate.ts';
import { x509SignatureDigest } from '../x509/cms-algorithms.ts';
import { children, readTop, slice, TAG, value } from '../x509/der.ts';
import { authorityKeyIdHex, extensionValue } from '../x509/extensions.ts';
import { derFromInput } from '../x509/pem.ts';
import { FULL_CRL, parsePartition } from './partition.ts';

const DAY_MS = 86_400_000;
/** A clock a little ahead on the offline machine is not a forgery. */
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * The longest validity accepted: twelve months, what the CA/Browser Forum Baseline
 * Requirements (7.2) allow a CRL of CA certificates. A longer one would let a CRL that
 * misses later revocations be served as current for years.
 */
const MAX_VALIDITY_MS = 366 * DAY_MS;

export interface KnownCa {
  row: CaRow;
  cert: CertificateInfo;
}

export interface ImportedCrl {
  file: string;
  der: Buffer;
  sha256: string;
  ca: KnownCa;
  /** FULL_CRL, or the partition id (YYYYMM-h) its issuingDistributionPoint names. */
  partition: string;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  serials: Set<string>;
}

export function knownCas(rows: CaRow[]): KnownCa[] {
  return rows.map((row) => ({ row, cert: parseCertificate(row.certificate_der) }));
}

interface Raw {
  list: CertificateList;
  tbs: Buffer;
  issuerDer: Buffer;
  signature: Buffer;
}

function decode(bytes: Buffer): Raw {
  const der = derFromInput(bytes, ['X509 CRL'], 'CRL');
  try {
    const [tbs, , signature] = children(der, readTop(der));
    const fields = children(der, tbs);
    const issuer = fields[fields[0].tag === TAG.INTEGER ? 2 : 1];
    // The BIT STRING's first content byte counts unused bits (0 for a signature).
    return { list: AsnConvert.parse(der, CertificateList), tbs: slice(der, tbs), issuerDer: slice(der, issuer), signature: value(der, signature).subarray(1) };
  } catch (error) {
    throw new BadRequest(`malformed CRL: ${(error as Error).message}`);
  }
}

function extensionOf(raw: Raw, oid: string): Uint8Array | undefined {
  const ext = raw.list.tbsCertList.crlExtensions?.find((e) => e.extnID === oid);
  return ext ? extensionValue(ext) : undefined;
}

function caOf(raw: Raw, cas: KnownCa[]): KnownCa {
  const aki = extensionOf(raw, id_ce_authorityKeyIdentifier);
  const keyHex = aki && authorityKeyIdHex(aki);
  if (!keyHex) throw new BadRequest('the CRL has no authority key identifier, so the CA that signed it cannot be told');
  const ca = cas.find((c) => c.row.ski_hex === keyHex);
  if (!ca) throw new NotFound(`the CRL is signed by no CA known here (authority key identifier ${keyHex}): a CRL of another CA, or of a CA not imported yet (fleetpki ca import-root / ca import-issuing)`);
  if (!raw.issuerDer.equals(ca.cert.subjectDer)) throw new BadRequest(`the CRL's issuer is not "${ca.cert.subject}", the subject of CA ${ca.row.name}, whose key identifier it names`);
  const digest = x509SignatureDigest(raw.list.signatureAlgorithm.algorithm, ca.cert.publicKey.asymmetricKeyType);
  if (!verify(digest, raw.tbs, ca.cert.publicKey, raw.signature)) throw new BadRequest(`the CRL's signature does not verify with the key of CA ${ca.row.name}`);
  if (ca.row.encrypted_key !== null) throw new PolicyDenied(`CA ${ca.row.name} holds its key here and signs its own CRLs; only the CRLs of a CA kept offline are imported`);
  return ca;
}

function checkExtensions(raw: Raw): number {
  for (const ext of raw.list.tbsCertList.crlExtensions ?? []) {
    if (ext.extnID === id_ce_deltaCRLIndicator) throw new BadRequest('the CRL is a delta CRL; fleetpki serves complete CRLs only');
    if (ext.critical && ext.extnID !== id_ce_issuingDistributionPoint) throw new BadRequest(`the CRL has a critical extension ${ext.extnID} fleetpki does not process`);
  }
  const number = extensionOf(raw, id_ce_cRLNumber);
  if (!number) throw new BadRequest('the CRL has no CRL number, so it cannot be told from an older one');
  const crlNumber = AsnConvert.parse(number, CRLNumber).value;
  if (!Number.isSafeInteger(crlNumber)) throw new BadRequest(`the CRL number ${crlNumber} is larger than fleetpki stores`);
  return crlNumber;
}

function checkTimes(raw: Raw, now: Date): { thisUpdate: Date; nextUpdate: Date } {
  const thisUpdate = raw.list.tbsCertList.thisUpdate.getTime();
  const nextUpdate = raw.list.tbsCertList.nextUpdate?.getTime();
  if (!nextUpdate) throw new BadRequest('the CRL has no nextUpdate; relying parties could not tell when it stops being current');
  if (thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) throw new BadRequest(`the CRL's thisUpdate ${thisUpdate.toISOString()} is in the future: check the offline machine's clock`);
  if (nextUpdate <= thisUpdate) throw new BadRequest(`the CRL's nextUpdate ${nextUpdate.toISOString()} is not after its thisUpdate ${thisUpdate.toISOString()}`);
  if (nextUpdate.getTime() - thisUpdate.getTime() > MAX_VALIDITY_MS) throw new BadRequest(`the CRL is valid from ${thisUpdate.toISOString()} to ${nextUpdate.toISOString()}, more than the 366 days accepted`);
  if (nextUpdate <= now) throw new BadRequest(`the CRL expired at ${nextUpdate.toISOString()}: sign a new one offline (fleetpki crl request, then crl sign-request)`);
  return { thisUpdate, nextUpdate };
}

/** FULL_CRL without an issuingDistributionPoint; else the partition whose URL, as served here, is its scope. */
function partitionOf(raw: Raw, ca: KnownCa, publicUrl: string): string {
  const idpDer = extensionOf(raw, id_ce_issuingDistributionPoint);
  if (!idpDer) return FULL_CRL;
  const idp = AsnConvert.parse(idpDer, IssuingDistributionPoint);
  if (idp.onlyContainsUserCerts || idp.onlyContainsCACerts || idp.onlyContainsAttributeCerts || idp.onlySomeReasons || idp.indirectCRL) {
    throw new BadRequest('the CRL covers only some certificates or reasons (issuingDistributionPoint flags); fleetpki serves partitions by URL only');
  }
  const urls = (idp.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : []));
  const prefix = caUrls(publicUrl, ca.row.name).crl.replace(/\.crl$/, '/');
  const id = urls.length === 1 && urls[0].startsWith(prefix) && urls[0].endsWith('.crl') ? urls[0].slice(prefix.length, -4) : '';
  if (!parsePartition(id) || crlPartitionUrl(publicUrl, ca.row.name, id) !== urls[0]) {
    throw new BadRequest(
      `the CRL is the partition ${urls.join(', ') || '(no URL)'}, but this instance serves the partitions of CA ${ca.row.name} as ${prefix}YYYYMM-h.crl: ` +
        'no certificate pointing there would get it. The CA must have the same name here as on its own instance, which must run with this --public-url',
    );
  }
  return id;
}

/** `file` names the input in every error, so a refusal in a folder of CRLs says which one. */
export function readImportedCrl(file: string, bytes: Buffer, cas: KnownCa[], publicUrl: string, now: Date): ImportedCrl {
  try {
    const raw = decode(bytes);
    const ca = caOf(raw, cas);
    const crlNumber = checkExtensions(raw);
    const times = checkTimes(raw, now);
    const partition = partitionOf(raw, ca, publicUrl);
    const serials = new Set((raw.list.tbsCertList.revokedCertificates ?? []).map((e) => serialHexFromInteger(Buffer.from(e.userCertificate))));
    const der = derFromInput(bytes, ['X509 CRL'], 'CRL');
    return { file, der, sha256: createHash('sha256').update(der).digest('hex'), ca, partition, crlNumber, ...times, serials };
  } catch (error) {
    if (error instanceof FleetPkiError) throw new (error.constructor as new (message: string) => FleetPkiError)(`${file}: ${error.message}`);
    throw new BadRequest(`${file}: not a CRL fleetpki can read: ${(error as Error).message}`);
  }
}
