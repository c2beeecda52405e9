// The key types fleetpki knows, in one table. Adding a type (ML-DSA, which Node 24's
// OpenSSL 3.5 can generate and sign with) means one more entry here and in
// `classifyPublicKey`, not a change to the CA or the RA.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PolicyDenied } from '../errors.ts';
import { OID } from './oids.ts';
import { sequence, tlv, TAG } from './der.ts';

/** Key types a CA key or a generated device key can have. */
export const KEY_TYPES = ['ec-p256', 'ec-p384', 'ed25519', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** Families a profile can allow; RSA sizes are bounded by a minimum instead of listed. */
export const KEY_FAMILIES = ['ec-p256', 'ec-p384', 'ed25519', 'rsa'] as const;
export type KeyFamily = (typeof KEY_FAMILIES)[number];

export interface KeyDescription {
  family: KeyFamily;
  /** e.g. ec-p256, rsa-3072 (any RSA size, not only the generated ones). */
  name: string;
  bits: number;
}

/** How a key of this type signs an X.509 object. */
export interface SignatureScheme {
  /** DER of the AlgorithmIdentifier placed in the certificate and its signatureAlgorithm. */
  algorithmDer: Buffer;
  oid: string;
  /** Digest for crypto.sign, null where the algorithm hashes internally (Ed25519). */
  digest: string | null;
}

function oidDer(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes: number[] = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let n = part;
    do {
      chunk.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    bytes.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
}

function scheme(oid: string, digest: string | null, withNullParams: boolean): SignatureScheme {
  const parts = withNullParams ? [oidDer(oid), tlv(TAG.NULL)] : [oidDer(oid)];
  return { algorithmDer: sequence(...parts), oid, digest };
}

const SCHEMES: Record<KeyFamily, (bits: number) => SignatureScheme> = {
  'ec-p256': () => scheme(OID.ecdsaWithSha256, 'sha256', false),
  'ec-p384': () => scheme(OID.ecdsaWithSha384, 'sha384', false),
  ed25519: () => scheme(OID.ed25519, null, false),
  rsa: (bits) => (bits >= 4096 ? scheme(OID.sha384WithRsa, 'sha384', true) : scheme(OID.sha256WithRsa, 'sha256', true)),
};

export function signatureScheme(key: KeyDescription): SignatureScheme {
  return SCHEMES[key.family](key.bits);
}

export function isKeyType(value: string): value is KeyType {
  return (KEY_TYPES as readonly string[]).includes(value);
}

export function generateKeyPair(type: KeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return generateKeyPairSync('rsa', { modulusLength: Number(type.slice(4)) });
  }
}

const CURVES: Record<string, KeyFamily> = { prime256v1: 'ec-p256', secp384r1: 'ec-p384' };

/** The parts of a decoded key that decide its type (KeyObject.asymmetricKeyType and asymmetricKeyDetails). */
export interface KeyFacts {
  type: string | null;
  namedCurve: string | null;
  modulusLength: number | null;
}

/**
 * What kind of key this is, from the key itself; refuses what fleetpki cannot sign for or
 * accept. The key decoded, so the input is well formed: a curve or key type outside this
 * table is a policy refusal (like a short RSA key), not a malformed request.
 */
export function classifyPublicKey(key: KeyObject): KeyDescription {
  const details = key.asymmetricKeyDetails ?? {};
  return classifyKeyFacts({ type: key.asymmetricKeyType ?? null, namedCurve: details.namedCurve ?? null, modulusLength: details.modulusLength ?? null });
}

/** classifyPublicKey for a key decoded elsewhere (a worker thread: csr-key-check.ts). */
export function classifyKeyFacts(facts: KeyFacts): KeyDescription {
  switch (facts.type) {
    case 'ec': {
      const family = CURVES[facts.namedCurve ?? ''];
      if (!family) throw new PolicyDenied(`unsupported elliptic curve ${facts.namedCurve ?? 'unknown'}; use P-256 or P-384`);
      return { family, name: family, bits: family === 'ec-p256' ? 256 : 384 };
    }
    case 'rsa': {
      const bits = facts.modulusLength ?? 0;
      return { family: 'rsa', name: `rsa-${bits}`, bits };
    }
    case 'ed25519':
      return { family: 'ed25519', name: 'ed25519', bits: 256 };
    default:
      throw new PolicyDenied(`unsupported public key type ${facts.type ?? 'unknown'}`);
  }
}

export function describeKeyType(type: KeyType): KeyDescription {
  if (type.startsWith('rsa-')) return { family: 'rsa', name: type, bits: Number(type.slice(4)) };
  return { family: type as KeyFamily, name: type, bits: type === 'ec-p384' ? 384 : 256 };
}

export { oidDer };
