// Which revocation source answers, in order: OCSP when a URL is given and the device is
// online; the CRL file when OCSP is not given or cannot answer; in offline mode only the CRL
// file, accepted even past its nextUpdate (the last one the device has). No source at all is
// a refusal: a signature whose signer may be revoked is not verified.

import { readFileSync } from 'node:fs';
import { FleetPkiError } from '../errors.ts';
import type { CertificateInfo } from '../x509/certificate.ts';
import { checkCrl, type CrlAnswer } from './crl-check.ts';
import { checkOcsp, type OcspAnswer } from './ocsp-check.ts';
import { checkOf, malformed, refuse } from './refusal.ts';
import type { TrustedCa } from './trust.ts';

export interface RevocationSources {
  /** CRL of the code-signing CA, DER or PEM: a path or the bytes. */
  crl?: string | Uint8Array;
  ocspUrl?: string;
  /** No network: use the CRL file even if it is past its nextUpdate. */
  offline?: boolean;
}

export type RevocationAnswer = CrlAnswer | OcspAnswer;

function crlBytes(crl: string | Uint8Array): Uint8Array {
  if (typeof crl !== 'string') return crl;
  try {
    return readFileSync(crl);
  } catch (error) {
    throw malformed('inputs', `cannot read CRL ${crl}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function viaOcsp(sources: RevocationSources, signer: CertificateInfo, ca: TrustedCa, now: Date): Promise<RevocationAnswer> {
  try {
    return await checkOcsp(sources.ocspUrl!, signer, ca, now);
  } catch (error) {
    // A revoked answer is final; a responder that cannot answer falls back to the CRL, if any.
    if (!(error instanceof FleetPkiError) || checkOf(error) === 'revoked' || sources.crl === undefined) throw error;
    return { ...checkCrl(crlBytes(sources.crl), signer, ca, now, false), ocspFailure: error.message };
  }
}

export async function checkRevocation(sources: RevocationSources, signer: CertificateInfo, ca: TrustedCa, now: Date): Promise<RevocationAnswer> {
  if (sources.offline) {
    if (sources.crl === undefined) throw refuse('revocation', 'offline verification needs the last CRL of the code-signing CA');
    return checkCrl(crlBytes(sources.crl), signer, ca, now, true);
  }
  if (sources.ocspUrl) return viaOcsp(sources, signer, ca, now);
  if (sources.crl !== undefined) return checkCrl(crlBytes(sources.crl), signer, ca, now, false);
  throw refuse('revocation', "the signer certificate's revocation status cannot be checked: give the code-signing CA's CRL or an OCSP URL");
}
