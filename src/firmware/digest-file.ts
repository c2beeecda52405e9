// Hashing an image as a stream: a firmware image may be larger than the memory of the
// machine that signs or verifies it, so it is read in chunks and fed to every hash at once
// (one pass over the file even when the manifest and the CMS signature use different hashes).
// One buffer is reused for every read: a read stream allocates a new chunk each time, which
// costs about a third of the throughput and leaves garbage proportional to the image size.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { BadRequest } from '../errors.ts';

export interface FileDigests {
  size: number;
  /** Digest per algorithm name as node:crypto knows it (sha256, sha384...). */
  digests: Map<string, Buffer>;
}

/** Measured fastest on the bench (bench/firmware.ts) among 64 KiB to 4 MiB. */
const CHUNK = 1024 * 1024;

export async function digestFile(path: string, algorithms: string[]): Promise<FileDigests> {
  const hashes = [...new Set(algorithms)].map((name) => [name, createHash(name)] as const);
  const buffer = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  try {
    const file = await open(path, 'r');
    try {
      for (let n = (await file.read(buffer, 0, CHUNK, null)).bytesRead; n > 0; n = (await file.read(buffer, 0, CHUNK, null)).bytesRead) {
        size += n;
        for (const [, hash] of hashes) hash.update(buffer.subarray(0, n));
      }
    } finally {
      await file.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadRequest(`cannot read image ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return { size, digests: new Map(hashes.map(([name, hash]) => [name, hash.digest()])) };
}
