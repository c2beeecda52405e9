import { randomFillSync } from 'node:crypto';

// One CSPRNG call per 4 KiB instead of one per id or serial (Node's randomUUID does the
// same). The bytes are used once each and never leave the process except as ids/serials.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** A fresh copy of `n` random bytes (n <= 256). */
export function randomPoolBytes(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
