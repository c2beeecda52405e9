// CA private keys at rest: PKCS#8 DER sealed with AES-256-GCM under a key derived by scrypt
// from the operator's passphrase. The CA id is bound in as associated data, so a sealed key
// copied onto another CA's row does not open. Parameters travel with the blob so the cost
// can be raised later without breaking old keys.

import { createCipheriv, createHash, createDecipheriv, createPrivateKey, randomBytes, scryptSync, type KeyObject } from 'node:crypto';

interface SealedKeyV1 {
  v: 1;
  kdf: 'scrypt';
  log2n: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  ct: string;
}

export class KeyUnsealError extends Error {}

/** Derived keys by salt+cost, so a process pays for scrypt once per sealed key, not per signature. */
const derived = new Map<string, Buffer>();

function deriveKey(passphrase: string, salt: Buffer, log2n: number, r: number, p: number): Buffer {
  const passphraseId = createHash('sha256').update(passphrase).digest('base64');
  const cacheKey = `${salt.toString('base64')}:${log2n}:${r}:${p}:${passphraseId}`;
  const hit = derived.get(cacheKey);
  if (hit) return hit;
  const N = 2 ** log2n;
  const key = scryptSync(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  derived.set(cacheKey, key);
  return key;
}

export function sealPrivateKey(privateKey: KeyObject, passphrase: string, boundTo: string, log2n: number): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, log2n, 8, 1), iv);
  cipher.setAAD(Buffer.from(`fleetpki-ca-key:${boundTo}`));
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ct = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  pkcs8.fill(0);
  const sealed: SealedKeyV1 = {
    v: 1,
    kdf: 'scrypt',
    log2n,
    r: 8,
    p: 1,
    salt: salt.toString('base64'),
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
  return Buffer.from(JSON.stringify(sealed));
}

export function unsealPrivateKey(blob: Buffer, passphrase: string, boundTo: string): KeyObject {
  let sealed: SealedKeyV1;
  try {
    sealed = JSON.parse(blob.toString('utf8'));
  } catch {
    throw new KeyUnsealError('sealed key is not readable (corrupted row?)');
  }
  if (sealed.v !== 1 || sealed.kdf !== 'scrypt' || sealed.cipher !== 'aes-256-gcm') {
    throw new KeyUnsealError('sealed key has an unknown format version');
  }
  const key = deriveKey(passphrase, Buffer.from(sealed.salt, 'base64'), sealed.log2n, sealed.r, sealed.p);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(`fleetpki-ca-key:${boundTo}`));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  let pkcs8: Buffer;
  try {
    pkcs8 = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  } catch {
    throw new KeyUnsealError('CA key could not be decrypted: wrong passphrase, or the key belongs to another CA');
  }
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  pkcs8.fill(0);
  return privateKey;
}
