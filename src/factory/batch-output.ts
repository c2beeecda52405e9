// The output folder of a batch signing. A certificate's file is claimed (created empty, with
// O_EXCL) before the certificate is issued, so the check that the device was not signed into
// this folder before is the same system call that takes the name: two runs into one folder,
// or a file that appears half-way, cannot make a certificate that has nowhere to go.

import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Conflict } from '../errors.ts';

export interface ClaimedFile {
  path: string;
  fd: number;
}

export function claimFile(outDir: string, file: string): ClaimedFile {
  const path = join(outDir, file);
  try {
    return { path, fd: openSync(path, 'wx', 0o644) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new Conflict(`${file} is already in the output folder: this device was signed before (remove the file to sign again; an empty one is left by an interrupted run: check \`fleetpki cert list --device <id>\` first)`);
  }
}

export function fillClaimed(claimed: ClaimedFile, text: string): void {
  try {
    writeSync(claimed.fd, text);
  } finally {
    closeSync(claimed.fd);
  }
}

/** Gives the name back when nothing (or nothing usable) was written into it. */
export function releaseClaimed(claimed: ClaimedFile): void {
  try {
    closeSync(claimed.fd);
  } catch {
    // already closed by a failed fillClaimed
  }
  rmSync(claimed.path, { force: true });
}

export function writeBatchManifest(outDir: string, content: unknown): void {
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(content, null, 2)}\n`);
}

export function writeRoots(outDir: string, roots: string[]): void {
  if (roots.length > 0) writeFileSync(join(outDir, 'ca.pem'), roots.join(''));
}
