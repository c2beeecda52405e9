// Checkpoints of a busy SQLite database, off the thread that writes. SQLite's automatic
// checkpoint runs inside the COMMIT that crosses 1000 log frames: it copies pages from the
// WAL into the database file and fsyncs both, on the event loop. Under steady issuance that
// was about a third of the time SQLite spent on the main thread (perf on bench/issue), and
// the fsyncs stalled every request in flight. Here a worker thread with its own connection
// runs PASSIVE checkpoints (they never block the writer) after commits, one at a time.
//
// The writer keeps a much higher automatic threshold as a safety net: if the worker falls
// behind or fails, the WAL still cannot grow without bound, and a failed worker puts the
// default threshold back. Started only once a connection has committed a few dozen times,
// so a CLI command or a short test never pays for a thread.
import { Worker } from 'node:worker_threads';
import type { CheckpointReply, CheckpointWorkerData } from './sqlite-checkpoint-worker.ts';

/** SQLite's default wal_autocheckpoint, restored if the worker fails. */
export const DEFAULT_AUTOCHECKPOINT_FRAMES = 1000;
/** The writer's own threshold while the worker checkpoints (about 80 MB of 4 KiB pages). */
export const SAFETY_AUTOCHECKPOINT_FRAMES = 20_000;
/** How long closing waits for the worker to close its connection, so the owner's close is the last and removes the WAL. */
const CLOSE_WAIT_MS = 2000;

export class Checkpointer {
  readonly #path: string;
  readonly #setAutocheckpoint: (frames: number) => void;
  readonly #closed = new SharedArrayBuffer(4);
  #worker: Worker | null = null;
  #busy = false;
  #again = false;
  #failed = false;
  /** Checkpoints the worker has completed (tests and diagnostics). */
  completed = 0;

  /** `setAutocheckpoint` sets wal_autocheckpoint on the writing connection. */
  constructor(path: string, setAutocheckpoint: (frames: number) => void) {
    this.#path = path;
    this.#setAutocheckpoint = setAutocheckpoint;
  }

  get running(): boolean {
    return this.#worker !== null && !this.#failed;
  }

  start(): void {
    if (this.#worker || this.#failed) return;
    const workerData: CheckpointWorkerData = { path: this.#path, closed: this.#closed };
    const worker = new Worker(new URL('./sqlite-checkpoint-worker.ts', import.meta.url), { workerData });
    // A background helper: never the reason the process stays up.
    worker.unref();
    worker.on('message', (reply: CheckpointReply) => this.#onReply(reply));
    worker.on('error', () => this.#fail());
    worker.on('exit', () => {
      if (Atomics.load(new Int32Array(this.#closed), 0) === 0) this.#fail();
    });
    this.#worker = worker;
    this.#setAutocheckpoint(SAFETY_AUTOCHECKPOINT_FRAMES);
  }

  /** After a commit: ask for a checkpoint, or for one more after the one running. */
  committed(): void {
    if (!this.running) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    this.#worker!.postMessage('checkpoint');
  }

  /** Synchronous, like the connection's own close: the worker's connection is closed when this returns. */
  close(): void {
    const worker = this.#worker;
    if (!worker) return;
    this.#failed = true;
    worker.postMessage('close');
    Atomics.wait(new Int32Array(this.#closed), 0, 0, CLOSE_WAIT_MS);
    void worker.terminate();
  }

  #onReply(reply: CheckpointReply): void {
    if ('failed' in reply) return this.#fail();
    this.completed++;
    this.#busy = false;
    if (this.#again) {
      this.#again = false;
      this.committed();
    }
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#setAutocheckpoint(DEFAULT_AUTOCHECKPOINT_FRAMES);
  }
}
