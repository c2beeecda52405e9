// The far side of sqlite-checkpointer.ts: a connection of its own to the same database file,
// in a worker thread, that copies the write-ahead log back into the database when asked.
// A PASSIVE checkpoint never blocks the writer: it backfills what is committed and leaves
// frames appended meanwhile for the next request.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointWorkerData {
  path: string;
  /** Int32 set to 1 once this connection is closed; the owner waits on it when it closes. */
  closed: SharedArrayBuffer;
}

export type CheckpointRequest = 'checkpoint' | 'close';
export type CheckpointReply = { done: true } | { failed: string };

const { path, closed } = workerData as CheckpointWorkerData;
const port = parentPort!;
const flag = new Int32Array(closed);
let db: DatabaseSync | null = null;

function close(): void {
  try {
    db?.close();
  } finally {
    db = null;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    port.close();
  }
}

try {
  db = new DatabaseSync(path);
  // Another checkpointer (a second process) holding the lock is no reason to wait: the next
  // request tries again.
  db.exec('PRAGMA busy_timeout = 0');
} catch (error) {
  port.postMessage({ failed: (error as Error).message } satisfies CheckpointReply);
  close();
}

port.on('message', (request: CheckpointRequest) => {
  if (request === 'close' || !db) return close();
  try {
    db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
    port.postMessage({ done: true } satisfies CheckpointReply);
  } catch (error) {
    port.postMessage({ failed: (error as Error).message } satisfies CheckpointReply);
    close();
  }
});
