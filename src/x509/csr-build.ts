// Building a PKCS#10 request in-process, for keys fleetpki itself generates: the EST
// server's own TLS key and server-side key generation. The request then goes through
// parseCsr and the RA like any device's, so a key made here gets no shortcut.

import { sign, type KeyObject } from 'node:crypto';
import { sequence, tlv, TAG } from './der.ts';
import { subjectAltName } from './extensions.ts';
import { classifyPublicKey, oidDer, signatureScheme } from './keys.ts';
import { encodeName, type NameAttributes } from './name.ts';
import { OID } from './oids.ts';
import type { San } from './san.ts';

function extensionRequest(sans: San[], subjectEmpty: boolean): Buffer {
  const extensions = sequence(subjectAltName(sans, subjectEmpty));
  return sequence(oidDer(OID.extensionRequest), tlv(TAG.SET, extensions));
}

/** `subjectDer` (e.g. copied from a client's CSR) wins over `subject` attributes. */
export function buildCsr(key: { privateKey: KeyObject; publicKey: KeyObject }, name: { subject?: NameAttributes; subjectDer?: Buffer }, sans: San[] = []): Buffer {
  const scheme = signatureScheme(classifyPublicKey(key.publicKey));
  const subjectDer = name.subjectDer ?? encodeName(name.subject ?? []);
  const attributes = sans.length > 0 ? [extensionRequest(sans, subjectDer.length <= 2)] : [];
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    subjectDer,
    key.publicKey.export({ format: 'der', type: 'spki' }),
    tlv(TAG.CONTEXT_0, ...attributes),
  );
  const signature = sign(scheme.digest, info, key.privateKey);
  return sequence(info, scheme.algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
}
