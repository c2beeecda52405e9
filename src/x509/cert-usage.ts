// What a certificate may be used for and where its status is published, read from its
// extensions: what a relying party (the firmware verifier) checks beyond the signature.

import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  Certificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_pe_authorityInfoAccess,
  KeyUsage,
  type Extension,
} from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { extensionValue } from './extensions.ts';
import { OID } from './oids.ts';

export interface CertificateUsage {
  /** Extended key usage OIDs; null when the extension is absent (any use). */
  extKeyUsages: string[] | null;
  /** KeyUsage flags (KeyUsageFlags bits); null when absent. */
  keyUsage: number | null;
  crlUrls: string[];
  ocspUrls: string[];
  /** OIDs of critical extensions, so a caller can refuse those it does not process. */
  critical: string[];
}

function find(extensions: Extension[], oid: string): Uint8Array | undefined {
  const ext = extensions.find((e) => e.extnID === oid);
  return ext ? extensionValue(ext) : undefined;
}

function crlUrls(der: Uint8Array | undefined): string[] {
  if (!der) return [];
  const points = AsnConvert.parse(der, CRLDistributionPoints);
  return points.flatMap((p) => p.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : []));
}

function ocspUrls(der: Uint8Array | undefined): string[] {
  if (!der) return [];
  const access = AsnConvert.parse(der, AuthorityInfoAccessSyntax);
  return access.filter((a) => a.accessMethod === OID.adOcsp).flatMap((a) => (a.accessLocation.uniformResourceIdentifier ? [a.accessLocation.uniformResourceIdentifier] : []));
}

export function certificateUsage(der: Buffer): CertificateUsage {
  try {
    const extensions = AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? [];
    const eku = find(extensions, id_ce_extKeyUsage);
    const ku = find(extensions, id_ce_keyUsage);
    return {
      extKeyUsages: eku ? [...AsnConvert.parse(eku, ExtendedKeyUsage)] : null,
      keyUsage: ku ? AsnConvert.parse(ku, KeyUsage).toNumber() : null,
      crlUrls: crlUrls(find(extensions, id_ce_cRLDistributionPoints)),
      ocspUrls: ocspUrls(find(extensions, id_pe_authorityInfoAccess)),
      critical: extensions.filter((e) => e.critical).map((e) => e.extnID),
    };
  } catch (error) {
    throw new BadRequest(`malformed certificate extensions: ${(error as Error).message}`);
  }
}
