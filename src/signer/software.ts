import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { classifyPublicKey, signatureScheme, type KeyDescription, type SignatureScheme } from '../x509/keys.ts';
import type { Signer } from './signer.ts';

/**
 * Signs with a key held in this process. Uses the callback form of crypto.sign, which runs in
 * libuv's thread pool: concurrent issuances sign on every core without a worker pool.
 */
export class SoftwareSigner implements Signer {
  readonly key: KeyDescription;
  readonly publicKey: KeyObject;
  readonly scheme: SignatureScheme;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.key = classifyPublicKey(this.publicKey);
    this.scheme = signatureScheme(this.key);
  }

  sign(tbs: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      sign(this.scheme.digest, tbs, this.#privateKey, (error, signature) => (error ? reject(error) : resolve(signature)));
    });
  }

  /** Never expose the key material through inspection or JSON. */
  toJSON(): Record<string, string> {
    return { signer: 'software', key: this.key.name };
  }
}
