// Names and strength of the keys and signature algorithms certificates in the wild carry.
// fleetpki itself issues only P-256, P-384, Ed25519 and RSA of 2048 bits or more; anything
// else found out there is worth a finding, from "non-standard" to "weak".

import type { KeyObject } from 'node:crypto';

/** RSA and DSA below this are weak (NIST SP 800-131A: 112-bit security needs 2048). */
export const MIN_RSA_BITS = 2048;

export type KeyStrength = 'standard' | 'weak' | 'non-standard';

export interface FoundKey {
  /** e.g. ec-p256, rsa-1024, ec-secp256k1, ed448, or the algorithm OID when Node cannot load the key. */
  name: string;
  bits: number;
  strength: KeyStrength;
}

const STANDARD_CURVES: Record<string, string> = { prime256v1: 'ec-p256', secp384r1: 'ec-p384' };

function ecKey(curve: string | undefined): FoundKey {
  const standard = curve ? STANDARD_CURVES[curve] : undefined;
  if (standard) return { name: standard, bits: standard === 'ec-p256' ? 256 : 384, strength: 'standard' };
  const bits = Number(/(\d{3})/.exec(curve ?? '')?.[1] ?? 0);
  return { name: `ec-${curve ?? 'unknown'}`, bits, strength: 'non-standard' };
}

export function describeKey(key: KeyObject | null, algorithmOid: string): FoundKey {
  if (!key) return { name: `unknown-${algorithmOid}`, bits: 0, strength: 'non-standard' };
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return ecKey(details.namedCurve);
    case 'rsa':
    case 'rsa-pss':
    case 'dsa': {
      const bits = details.modulusLength ?? 0;
      const type = key.asymmetricKeyType;
      if (bits < MIN_RSA_BITS) return { name: `${type}-${bits}`, bits, strength: 'weak' };
      // fleetpki signs nothing with DSA and the CA/Browser Forum dropped it; RSA-PSS keys are sound but unusual.
      return { name: `${type}-${bits}`, bits, strength: type === 'rsa' ? 'standard' : 'non-standard' };
    }
    case 'ed25519':
      return { name: 'ed25519', bits: 256, strength: 'standard' };
    default:
      return { name: key.asymmetricKeyType ?? `unknown-${algorithmOid}`, bits: 0, strength: 'non-standard' };
  }
}

/** Signature algorithms by OID; `weak` marks digests with practical collision attacks. */
const SIGNATURES: Record<string, { name: string; weak: boolean }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', weak: true },
  '1.3.14.3.2.29': { name: 'sha1WithRSASignature', weak: true },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', weak: true },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', weak: true },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss', weak: false },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', weak: false },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', weak: false },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', weak: false },
  '1.3.101.112': { name: 'ED25519', weak: false },
  '1.3.101.113': { name: 'ED448', weak: false },
};

export function signatureAlgorithmName(oid: string): { oid: string; name: string; weak: boolean } {
  const known = SIGNATURES[oid];
  return known ? { oid, ...known } : { oid, name: oid, weak: false };
}
