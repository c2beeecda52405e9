// In-process PKCS#10 CSRs for load generation: openssl is too slow to make thousands, and
// the bench measures the CA, not the client. Built with the same DER writer the CA uses;
// the tests prove CA output with openssl, and parseCsr verifies these like any other CSR.

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sequence, tlv, TAG } from '../src/x509/der.ts';
import { classifyPublicKey, signatureScheme } from '../src/x509/keys.ts';
import { encodeName } from '../src/x509/name.ts';

export function makeCsr(privateKey: KeyObject, publicKey: KeyObject, commonName = 'bench-device'): Buffer {
  const scheme = signatureScheme(classifyPublicKey(publicKey));
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    encodeName([['CN', commonName]]),
    publicKey.export({ format: 'der', type: 'spki' }),
    tlv(TAG.CONTEXT_0),
  );
  const signature = sign(scheme.digest, info, privateKey);
  return sequence(info, scheme.algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
}

export function makeP256Csrs(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return makeCsr(privateKey, publicKey, `bench-${i}`);
  });
}
