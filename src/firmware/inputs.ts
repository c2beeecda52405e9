// Inputs given either as a path or as the bytes already in memory (the device agent may have
// downloaded a signature without writing it). Small files only: images are streamed instead.

import { readFileSync, statSync } from 'node:fs';
import { malformed, type FirmwareCheck } from './refusal.ts';

export type PathOrBytes = string | Uint8Array;

/** Signatures, manifests, bundles and CRLs are small; a huge one is a mistake or an attack. */
export const MAX_SMALL_INPUT = 4 * 1024 * 1024;

export function readSmall(input: PathOrBytes, what: string, check: FirmwareCheck): Buffer {
  if (typeof input !== 'string') {
    if (input.length > MAX_SMALL_INPUT) throw malformed(check, `the ${what} is larger than ${MAX_SMALL_INPUT} bytes`);
    return Buffer.from(input);
  }
  try {
    if (statSync(input).size > MAX_SMALL_INPUT) throw malformed(check, `the ${what} ${input} is larger than ${MAX_SMALL_INPUT} bytes`);
    return readFileSync(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw malformed('inputs', `cannot read the ${what} ${input}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
