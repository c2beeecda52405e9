// The release signer's private key: a PEM file the signer holds (fleetpki never stores it),
// optionally encrypted. Loaded only to sign, and checked against the certificate first, so a
// mix-up of key files is a clear error instead of a signature nobody can verify.

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { BadRequest } from '../errors.ts';
import type { CertificateInfo } from '../x509/certificate.ts';

export function loadSignerKey(pem: Uint8Array, passphrase?: string): KeyObject {
  const text = Buffer.from(pem).toString('utf8');
  if (/ENCRYPTED/.test(text) && !passphrase) {
    throw new BadRequest('the signing key is encrypted: give its passphrase (FLEETPKI_SIGNER_KEY_PASSPHRASE or --key-passphrase-file)');
  }
  try {
    return createPrivateKey({ key: text, format: 'pem', passphrase });
  } catch (error) {
    throw new BadRequest(`the signing key cannot be read (PEM private key expected${passphrase ? ', or a wrong passphrase' : ''}): ${(error as Error).message}`);
  }
}

export function assertKeyMatches(privateKey: KeyObject, cert: CertificateInfo): void {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!spki.equals(cert.spkiDer)) throw new BadRequest(`the signing key does not belong to the certificate ${cert.subject}`);
}
