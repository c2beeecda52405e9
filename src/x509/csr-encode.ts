// PKCS#10 requests (RFC 2986) built by fleetpki itself: the device agent's enrolment and
// `fleetpki ca request` for an issuing CA signed offline. The signature comes from a Signer,
// so a key that never enters this process (a secure element behind a command) can sign.

import type { KeyObject } from 'node:crypto';
import type { SignatureScheme } from './keys.ts';
import { sequence, tlv, TAG } from './der.ts';

/** What signing a request needs: the public key, its scheme, and a way to sign bytes. */
export interface RequestSigner {
  readonly publicKey: KeyObject;
  readonly scheme: SignatureScheme;
  sign(data: Buffer): Promise<Buffer>;
}

/**
 * CertificationRequestInfo with no attributes: no extension request, no challenge password.
 * What a certificate says (names, usages, lifetime) is the CA's decision; a request that
 * asked for more would only be a request to ignore.
 */
export function encodeRequestInfo(subjectDer: Buffer, spkiDer: Buffer): Buffer {
  return sequence(tlv(TAG.INTEGER, Buffer.from([0])), subjectDer, spkiDer, tlv(TAG.CONTEXT_0));
}

export async function buildCsr(subjectDer: Buffer, signer: RequestSigner): Promise<Buffer> {
  const spki = signer.publicKey.export({ format: 'der', type: 'spki' });
  const info = encodeRequestInfo(subjectDer, spki);
  const signature = await signer.sign(info);
  return sequence(info, signer.scheme.algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
}
