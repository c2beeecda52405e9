// The one interface every CA key sits behind. The software signer keeps keys encrypted at
// rest; a PKCS#11 signer (HSM, SoftHSM) will implement the same interface.

import type { KeyObject } from 'node:crypto';
import type { KeyDescription, SignatureScheme } from '../x509/keys.ts';

export interface Signer {
  readonly key: KeyDescription;
  readonly publicKey: KeyObject;
  readonly scheme: SignatureScheme;
  /** Signs the to-be-signed bytes with the scheme above; returns the signature as X.509 carries it. */
  sign(tbs: Buffer): Promise<Buffer>;
}
