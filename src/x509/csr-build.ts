// Building a PKCS#10 request in-process: for keys fleetpki itself generates (the EST server's
// own TLS key, server-side key generation, `ca request`) and for the device agent's. The
// request then goes through parseCsr and the RA like any device's, so a key made here gets
// no shortcut.

import { sign, type KeyObject } from 'node:crypto';
import { sequence, tlv, TAG } from './der.ts';
import { subjectAltName } from './extensions.ts';
import { classifyPublicKey, oidDer, signatureScheme, type SignatureScheme } from './keys.ts';
import { encodeName, type NameAttributes } from './name.ts';
import { OID } from './oids.ts';
import type { San } from './san.ts';

function extensionRequest(sans: San[], subjectEmpty: boolean): Buffer {
  const extensions = sequence(subjectAltName(sans, subjectEmpty));
  return sequence(oidDer(OID.extensionRequest), tlv(TAG.SET, extensions));
}

/** What signing a request needs when the key is not a KeyObject here: a secure element behind the agent's key command. */
export interface RequestSigner {
  readonly publicKey: KeyObject;
  readonly scheme: SignatureScheme;
  sign(data: Buffer): Promise<Buffer>;
}

function requestInfo(subjectDer: Buffer, publicKey: KeyObject, attributes: Buffer[]): Buffer {
  return sequence(tlv(TAG.INTEGER, Buffer.from([0])), subjectDer, publicKey.export({ format: 'der', type: 'spki' }), tlv(TAG.CONTEXT_0, ...attributes));
}

function certificationRequest(info: Buffer, scheme: SignatureScheme, signature: Buffer): Buffer {
  return sequence(info, scheme.algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
}

/** `subjectDer` (e.g. copied from a client's CSR) wins over `subject` attributes. */
export function buildCsr(key: { privateKey: KeyObject; publicKey: KeyObject }, name: { subject?: NameAttributes; subjectDer?: Buffer }, sans: San[] = []): Buffer {
  const scheme = signatureScheme(classifyPublicKey(key.publicKey));
  const subjectDer = name.subjectDer ?? encodeName(name.subject ?? []);
  const attributes = sans.length > 0 ? [extensionRequest(sans, subjectDer.length <= 2)] : [];
  const info = requestInfo(subjectDer, key.publicKey, attributes);
  return certificationRequest(info, scheme, sign(scheme.digest, info, key.privateKey));
}

/**
 * A request with no attributes, signed by `signer` (the device agent's, or `fleetpki ca
 * request`'s). No extension request: what a certificate says, its lifetime above all, is the
 * CA's decision, and a request that asked for more would only be a request to ignore.
 */
export async function buildSignedCsr(subjectDer: Buffer, signer: RequestSigner): Promise<Buffer> {
  const info = requestInfo(subjectDer, signer.publicKey, []);
  return certificationRequest(info, signer.scheme, await signer.sign(info));
}
