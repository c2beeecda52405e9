// Is the signer's certificate on its CA's CRL? The CRL must be signed by the CA that issued
// the signer, cover the signer's distribution point (fleetpki partitions CRLs and marks each
// with a critical issuingDistributionPoint), and be current unless the caller accepts the last
// CRL it has (offline mode), in which case the answer says how old it is.

import { verify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLReason, id_ce_cRLReasons, id_ce_issuingDistributionPoint, IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { REVOCATION_REASONS } from '../ca/revocation-reasons.ts';
import { serialHexFromInteger, type CertificateInfo } from '../x509/certificate.ts';
import { certificateUsage } from '../x509/cert-usage.ts';
import { x509SignatureDigest } from '../x509/cms-algorithms.ts';
import { children, readTop, slice, TAG, value } from '../x509/der.ts';
import { extensionValue } from '../x509/extensions.ts';
import { derFromInput } from '../x509/pem.ts';
import { malformed, refuse } from './refusal.ts';
import { CLOCK_SKEW_MS, type TrustedCa } from './trust.ts';

export interface CrlAnswer {
  source: 'crl';
  thisUpdate: string;
  nextUpdate: string | null;
  /** True when the CRL's nextUpdate has passed (accepted only in offline mode). */
  stale: boolean;
  /** Why OCSP was not used, when the CRL stood in for an OCSP responder that could not answer. */
  ocspFailure?: string;
}

interface ParsedCrl {
  list: CertificateList;
  tbs: Buffer;
  issuerDer: Buffer;
  signature: Buffer;
}

function parse(input: Uint8Array): ParsedCrl {
  const der = derFromInput(input, ['X509 CRL'], 'CRL');
  try {
    const [tbs, , signature] = children(der, readTop(der));
    const fields = children(der, tbs);
    const issuer = fields[fields[0].tag === TAG.INTEGER ? 2 : 1];
    // The BIT STRING's first content byte counts unused bits (always 0 for a signature).
    const bits = value(der, signature).subarray(1);
    return { list: AsnConvert.parse(der, CertificateList), tbs: slice(der, tbs), issuerDer: slice(der, issuer), signature: bits };
  } catch (error) {
    throw malformed('revocation', `malformed CRL: ${(error as Error).message}`);
  }
}

function assertSignedBy(crl: ParsedCrl, ca: TrustedCa): void {
  if (!crl.issuerDer.equals(ca.info.subjectDer)) throw refuse('revocation', `the CRL is issued by another CA than the signer's (${ca.info.subject})`);
  const digest = x509SignatureDigest(crl.list.signatureAlgorithm.algorithm, ca.info.publicKey.asymmetricKeyType);
  if (!verify(digest, crl.tbs, ca.info.publicKey, crl.signature)) {
    throw refuse('revocation', `the CRL's signature does not verify with the key of ${ca.info.subject}`);
  }
}

/** RFC 5280 5.2.5: a CRL with an issuingDistributionPoint covers only what that extension says. */
function assertCovers(list: CertificateList, signer: CertificateInfo): void {
  for (const ext of list.tbsCertList.crlExtensions ?? []) {
    if (ext.extnID !== id_ce_issuingDistributionPoint) {
      if (ext.critical) throw refuse('revocation', `the CRL has a critical extension ${ext.extnID} this verifier does not process`);
      continue;
    }
    const idp = AsnConvert.parse(extensionValue(ext), IssuingDistributionPoint);
    if (idp.onlyContainsCACerts || idp.onlyContainsAttributeCerts || idp.onlySomeReasons || idp.indirectCRL) {
      throw refuse('revocation', 'the CRL does not cover every revocation of end-entity certificates (a partial CRL)');
    }
    const urls = (idp.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : []));
    const signerUrls = certificateUsage(signer.der).crlUrls;
    if (urls.length > 0 && !urls.some((url) => signerUrls.includes(url))) {
      throw refuse('revocation', `the CRL covers ${urls.join(', ')}, not the signer certificate's distribution point ${signerUrls.join(', ') || '(none)'}`);
    }
  }
}

function reasonName(entryExtensions: CertificateList['tbsCertList']['crlExtensions']): string {
  const ext = entryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
  if (!ext) return 'unspecified';
  const code = AsnConvert.parse(extensionValue(ext), CRLReason).reason as number;
  return Object.entries(REVOCATION_REASONS).find(([, value]) => value === code)?.[0] ?? `reason ${code}`;
}

export function checkCrl(input: Uint8Array, signer: CertificateInfo, ca: TrustedCa, now: Date, allowStale: boolean): CrlAnswer {
  const crl = parse(input);
  assertSignedBy(crl, ca);
  assertCovers(crl.list, signer);
  const thisUpdate = crl.list.tbsCertList.thisUpdate.getTime();
  const nextUpdate = crl.list.tbsCertList.nextUpdate?.getTime() ?? null;
  if (thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) throw refuse('revocation', `the CRL's thisUpdate ${thisUpdate.toISOString()} is in the future`);
  const stale = nextUpdate !== null && nextUpdate < now;
  if (stale && !allowStale) {
    throw refuse('revocation', `the CRL is out of date (nextUpdate ${nextUpdate.toISOString()}); fetch a current one, or verify offline to accept the last CRL`);
  }
  for (const entry of crl.list.tbsCertList.revokedCertificates ?? []) {
    if (serialHexFromInteger(Buffer.from(entry.userCertificate)) !== signer.serialHex) continue;
    const reason = reasonName(entry.crlEntryExtensions);
    throw refuse('revoked', `the signer certificate ${signer.subject} (serial ${signer.serialHex}) was revoked on ${entry.revocationDate.getTime().toISOString()} (${reason})`);
  }
  return { source: 'crl', thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate?.toISOString() ?? null, stale };
}
