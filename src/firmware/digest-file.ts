// Hashing an image as a stream: a firmware image may be larger than the memory of the
// machine that signs or verifies it, so it is read in chunks and fed to every hash at once
// (one pass over the file even when the manifest and the CMS signature use different hashes).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { BadRequest } from '../errors.ts';

export interface FileDigests {
  size: number;
  /** Digest per algorithm name as node:crypto knows it (sha256, sha384...). */
  digests: Map<string, Buffer>;
}

/** Large reads keep the per-chunk overhead small next to the hashing itself. */
const CHUNK = 1024 * 1024;

export async function digestFile(path: string, algorithms: string[]): Promise<FileDigests> {
  const hashes = [...new Set(algorithms)].map((name) => [name, createHash(name)] as const);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
      size += (chunk as Buffer).length;
      for (const [, hash] of hashes) hash.update(chunk as Buffer);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadRequest(`cannot read image ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return { size, digests: new Map(hashes.map(([name, hash]) => [name, hash.digest()])) };
}
