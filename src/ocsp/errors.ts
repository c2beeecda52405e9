// The OCSP front end's errors and the one place they become OCSPResponseStatus values
// (RFC 6960 2.3). Malformed input is the core's BadRequest; the two below are OCSP's own.

import { BadRequest } from '../errors.ts';
import type { OcspStatus } from '../x509/ocsp.ts';

/** The CertID names no CA this responder answers for (unknown issuer, or a CA kept offline without a valid imported signer). */
export class NotAuthoritative extends Error {}

/** The store did not answer: the client should try again later, not conclude anything. */
export class StoreUnavailable extends Error {}

export function statusForError(error: unknown): Exclude<OcspStatus, 'successful'> {
  if (error instanceof BadRequest) return 'malformedRequest';
  if (error instanceof NotAuthoritative) return 'unauthorized';
  if (error instanceof StoreUnavailable) return 'tryLater';
  return 'internalError';
}

/** Runs a store query; its failure becomes StoreUnavailable (tryLater), whatever the engine threw. */
export async function fromStore<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw new StoreUnavailable(`the store did not answer: ${(error as Error).message}`, { cause: error });
  }
}
