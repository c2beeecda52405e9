// The digest and signature algorithms a CMS SignedData may name, as node:crypto knows them.
// One table for the writer and the reader, so what fleetpki signs with is what it accepts.

import { PolicyDenied } from '../errors.ts';
import { OID } from './oids.ts';

export const DIGEST_OIDS = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

export type DigestName = keyof typeof DIGEST_OIDS;

/** SHA-1 and MD5 are named so the refusal can say why, not "unknown algorithm". */
const WEAK_DIGESTS: Record<string, string> = { '1.3.14.3.2.26': 'SHA-1', '1.2.840.113549.2.5': 'MD5' };

export function digestName(oid: string): DigestName {
  for (const [name, known] of Object.entries(DIGEST_OIDS)) if (known === oid) return name as DigestName;
  if (WEAK_DIGESTS[oid]) throw new PolicyDenied(`digest algorithm ${WEAK_DIGESTS[oid]} is too weak; SHA-256 or stronger is required`);
  throw new PolicyDenied(`unsupported digest algorithm ${oid}`);
}

/**
 * Signature algorithms in a SignerInfo. "Bare" key OIDs (rsaEncryption, as OpenSSL writes
 * for RSA; id-ecPublicKey, as some tools write) take their hash from the digestAlgorithm.
 */
const SIGNATURE_DIGESTS: Record<string, { key: 'ec' | 'rsa'; digest: DigestName | null }> = {
  [OID.ecdsaWithSha256]: { key: 'ec', digest: 'sha256' },
  [OID.ecdsaWithSha384]: { key: 'ec', digest: 'sha384' },
  [OID.ecdsaWithSha512]: { key: 'ec', digest: 'sha512' },
  [OID.ecPublicKey]: { key: 'ec', digest: null },
  [OID.sha256WithRsa]: { key: 'rsa', digest: 'sha256' },
  [OID.sha384WithRsa]: { key: 'rsa', digest: 'sha384' },
  [OID.sha512WithRsa]: { key: 'rsa', digest: 'sha512' },
  [OID.rsaEncryption]: { key: 'rsa', digest: null },
};

/**
 * The hash over the signed attributes (RFC 5652 5.4: the SignerInfo's digestAlgorithm) after
 * checking that the signature algorithm agrees with it and with the signer's key type.
 */
export function signatureDigest(signatureOid: string, digestOid: string, keyType: string | undefined): DigestName {
  const digest = digestName(digestOid);
  const known = SIGNATURE_DIGESTS[signatureOid];
  if (!known) throw new PolicyDenied(`unsupported signature algorithm ${signatureOid} (ECDSA and RSA PKCS#1 v1.5 are supported)`);
  if (known.key !== keyType) throw new PolicyDenied(`signature algorithm ${signatureOid} does not fit the signer's ${keyType ?? 'unknown'} key`);
  if (known.digest && known.digest !== digest) {
    throw new PolicyDenied(`signature algorithm uses ${known.digest} but the digest algorithm is ${digest}`);
  }
  return digest;
}

/**
 * Digest for crypto.verify of an X.509-style signature (a CRL, an OCSP response), where the
 * algorithm OID names the hash; null for Ed25519, which hashes internally.
 */
export function x509SignatureDigest(signatureOid: string, keyType: string | undefined): DigestName | null {
  if (signatureOid === OID.ed25519 && keyType === 'ed25519') return null;
  const known = SIGNATURE_DIGESTS[signatureOid];
  if (!known?.digest) throw new PolicyDenied(`unsupported signature algorithm ${signatureOid}`);
  if (known.key !== keyType) throw new PolicyDenied(`signature algorithm ${signatureOid} does not fit the ${keyType ?? 'unknown'} key`);
  return known.digest;
}
