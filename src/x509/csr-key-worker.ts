// The far side of csr-key-check.ts: decodes a CSR's public key and checks the request's
// signature with it, in a worker thread. Both are OpenSSL work (a P-256 key decode costs
// more than a signature; a verification about three), which on the event loop was a fifth
// of the issuing path's main thread. Only node:crypto here, so the worker starts quickly.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export interface KeyCheckJob {
  id: number;
  spki: Uint8Array;
  /** Absent when the signature algorithm is not accepted: the key is still decoded and described. */
  signature?: { digest: string | null; data: Uint8Array; value: Uint8Array };
}

export interface KeyCheckResult {
  id: number;
  /** Null when the bytes are not a public key OpenSSL can decode. */
  key: { type: string | null; namedCurve: string | null; modulusLength: number | null } | null;
  /** Whether the signature verifies with the key; false if it was not asked or cannot be checked. */
  valid: boolean;
}

function decode(spki: Uint8Array): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

export function checkKey(job: KeyCheckJob): KeyCheckResult {
  const key = decode(job.spki);
  if (!key) return { id: job.id, key: null, valid: false };
  const details = key.asymmetricKeyDetails ?? {};
  const described = { type: key.asymmetricKeyType ?? null, namedCurve: details.namedCurve ?? null, modulusLength: details.modulusLength ?? null };
  let valid = false;
  if (job.signature) {
    try {
      valid = verify(job.signature.digest, job.signature.data, key, job.signature.value);
    } catch {
      valid = false;
    }
  }
  return { id: job.id, key: described, valid };
}

parentPort?.on('message', (jobs: KeyCheckJob[]) => {
  parentPort!.postMessage(jobs.map(checkKey));
});
