// Every way a firmware check can fail has a name (`check`) beside its message, so the device
// agent and scripts can act on the kind of refusal while people read the sentence.

import { BadRequest, FleetPkiError, PolicyDenied } from '../errors.ts';

export type FirmwareCheck =
  | 'inputs'
  | 'trust-bundle'
  | 'manifest-signature'
  | 'manifest-format'
  | 'image-signature'
  | 'signer-mismatch'
  | 'signer-chain'
  | 'signer-usage'
  | 'signing-time'
  | 'device-class'
  | 'device-model'
  | 'rollback'
  | 'min-version'
  | 'revocation'
  | 'revoked'
  | 'image-digest';

/** A well-formed input that the policy refuses (wrong signer, rollback, revoked...). */
export function refuse(check: FirmwareCheck, message: string): PolicyDenied {
  return new PolicyDenied(message, { check });
}

export function malformed(check: FirmwareCheck, message: string): BadRequest {
  return new BadRequest(message, { check });
}

/** The check a refusal came from, for errors raised by the layers below (x509, semver). */
export function checkOf(error: unknown): FirmwareCheck | undefined {
  return error instanceof FleetPkiError ? (error.details?.check as FirmwareCheck | undefined) : undefined;
}

/**
 * Runs one step; a typed error from below keeps its class but gains the step's name and a
 * prefix saying what was being checked ("image signature: malformed CMS ...").
 */
export async function step<T>(check: FirmwareCheck, what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof FleetPkiError) || checkOf(error)) throw error;
    const message = `${what}: ${error.message}`;
    throw error instanceof BadRequest ? malformed(check, message) : refuse(check, message);
  }
}
