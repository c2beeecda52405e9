// Scans started through the API run in the background of the server process: the request
// answers at once with the run's id, and GET /discovery/scans/:id shows progress. A few runs
// at a time per process; closing the server stops taking new targets and waits for each run
// to record what it has, so no run is left "running" by a clean shutdown.

import type { Context } from '../app/context.ts';
import { Conflict } from '../errors.ts';
import type { DiscoveryRunRow } from '../store/repos/discovery-runs.ts';
import { startScan, type ScanRequest } from './scan.ts';

export const MAX_BACKGROUND_RUNS = 4;

export class BackgroundScans {
  readonly #ctx: Context;
  readonly #running = new Map<string, { abort: AbortController; done: Promise<unknown> }>();
  #closed = false;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  async start(request: ScanRequest, actor: string): Promise<DiscoveryRunRow> {
    if (this.#closed) throw new Conflict('the server is shutting down; start the scan again once it is back');
    if (this.#running.size >= MAX_BACKGROUND_RUNS) throw new Conflict(`${MAX_BACKGROUND_RUNS} scans are already running on this server; wait for one to finish`);
    const abort = new AbortController();
    const { run, done } = await startScan(this.#ctx, request, actor, { signal: abort.signal });
    const settled = done
      .catch((error: unknown) => this.#ctx.log.error({ err: error, runId: run.id }, 'discovery scan could not be recorded'))
      .finally(() => this.#running.delete(run.id));
    this.#running.set(run.id, { abort, done: settled });
    return run;
  }

  /** Stops every run after its targets in flight, and waits until each is recorded. */
  async close(): Promise<void> {
    this.#closed = true;
    const runs = [...this.#running.values()];
    for (const run of runs) run.abort.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  /** For tests and shutdown logs. */
  get size(): number {
    return this.#running.size;
  }
}
