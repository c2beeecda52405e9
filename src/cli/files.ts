// Reading the files a command is given. A missing or unreadable file is the user's input
// being wrong, so it is a BadRequest (exit 1) naming the path, not a stack trace.

import { readFileSync, writeFileSync } from 'node:fs';
import { BadRequest } from '../errors.ts';
import { toPem } from '../x509/pem.ts';

export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new BadRequest(`cannot read ${path}: ${why}`);
  }
}

/** A certificate file as PEM text, whether it was saved as PEM or as DER. */
export function readCertificatePem(path: string): string {
  const bytes = readInput(path);
  return bytes[0] === 0x30 ? toPem(bytes, 'CERTIFICATE') : bytes.toString('utf8');
}

export function writeOutput(path: string, text: string | Uint8Array): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new BadRequest(`cannot write ${path}: ${(error as Error).message}`);
  }
}
