// Before a 413 is answered, the rest of the oversized body is read and thrown away (bounded in
// bytes and time). Fastify answers 413 with `Connection: close` without reading the body; a
// client still writing it then has its connection reset under it and may never read the
// answer (curl: "Send failure: Broken pipe"). Draining lets it finish and read why.

import type { IncomingMessage } from 'node:http';

export const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
export const DRAIN_MAX_MS = 2000;

export function drainRequest(raw: IncomingMessage, maxBytes = DRAIN_MAX_BYTES, maxMs = DRAIN_MAX_MS): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('error', done).off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    raw.on('data', onData).on('end', done).on('error', done).on('close', done);
    raw.resume();
  });
}
