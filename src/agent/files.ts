// Writing the agent's files so that a power cut never leaves half a key: write a temporary
// file beside the target (mode 0600 from creation, never wider), fsync it, rename it over
// the target, fsync the directory. A reader sees the old file or the new one, nothing between.

import { closeSync, existsSync, fsyncSync, mkdirSync, chmodSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'wx', FILE_MODE);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function renameAtomic(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}

/** Creates the directory private to its owner, and tightens it if it existed wider. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE);
}

export function readIfExists(path: string): Buffer | null {
  return existsSync(path) ? readFileSync(path) : null;
}

export function removeIfExists(path: string): void {
  rmSync(path, { force: true });
}
