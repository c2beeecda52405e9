// A CSR's key decode and proof-of-possession check, in worker threads (csr-key-worker.ts),
// so the event loop only parses DER and records. Requests arriving in one turn of the event
// loop go to a worker in one message. Nothing is cached: every CSR's signature is checked
// with its own key, every time.
//
// Workers start on first use, are left out of what keeps the process alive while none has
// work, and if one cannot start or fails, checks run on the calling thread as before.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkKey, type KeyCheckJob, type KeyCheckResult } from './csr-key-worker.ts';

export type KeyCheck = Omit<KeyCheckResult, 'id'>;
type Request = Omit<KeyCheckJob, 'id'>;

interface Slot {
  worker: Worker;
  outstanding: number;
}

/** One core stays for the event loop; signing uses libuv's pool beside these. */
const WORKERS = Math.max(1, Math.min(4, availableParallelism() - 1));

/** Every job not yet answered, sent or queued, so a failed worker's work can be redone here. */
const waiting = new Map<number, { job: KeyCheckJob; resolve: (result: KeyCheck) => void }>();
let nextId = 0;
let queue: KeyCheckJob[] = [];
let slots: Slot[] | null = null;
let broken = false;
let turn = 0;

function settle(result: KeyCheckResult): void {
  const entry = waiting.get(result.id);
  if (!entry) return;
  waiting.delete(result.id);
  const { id: _, ...check } = result;
  entry.resolve(check);
}

function startWorker(): Slot {
  const slot: Slot = { worker: new Worker(new URL('./csr-key-worker.ts', import.meta.url)), outstanding: 0 };
  slot.worker.unref();
  slot.worker.on('message', (results: KeyCheckResult[]) => {
    slot.outstanding -= results.length;
    if (slot.outstanding === 0) slot.worker.unref();
    results.forEach(settle);
  });
  slot.worker.on('error', fail);
  slot.worker.on('exit', fail);
  return slot;
}

/** A worker is gone: what the workers had is checked here, and so is everything after. */
function fail(): void {
  if (broken) return;
  broken = true;
  for (const slot of slots ?? []) void slot.worker.terminate();
  slots = null;
  const queued = new Set(queue.map((job) => job.id));
  for (const { job } of [...waiting.values()]) if (!queued.has(job.id)) settle(checkKey(job));
}

function flush(): void {
  const jobs = queue;
  queue = [];
  if (!broken && !slots) {
    try {
      slots = Array.from({ length: WORKERS }, startWorker);
    } catch {
      fail();
    }
  }
  if (broken || !slots) {
    for (const job of jobs) settle(checkKey(job));
    return;
  }
  const slot = slots[turn++ % slots.length];
  if (slot.outstanding === 0) slot.worker.ref();
  slot.outstanding += jobs.length;
  slot.worker.postMessage(jobs);
}

/** Decodes `request.spki` and, if asked, verifies the CSR's signature with it. */
export function checkCsrKey(request: Request): Promise<KeyCheck> {
  return new Promise((resolve) => {
    const job: KeyCheckJob = { ...request, id: nextId++ };
    waiting.set(job.id, { job, resolve });
    if (queue.length === 0) setImmediate(flush);
    queue.push(job);
  });
}
