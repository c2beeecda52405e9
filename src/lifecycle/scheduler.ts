// The scheduler `serve` runs: every tickSeconds it offers each enabled job to runJob, which
// runs it only if this instance wins the lease and the job's next_run_at has come (so across
// all instances a job runs once per interval). Ticks never overlap; stop() cancels the next
// tick, aborts a running job between items and resolves when it has wound down.

import { BadRequest } from '../errors.ts';
import type { JobName } from './jobs/job.ts';
import { runJob, type RunResult } from './runner.ts';
import type { Lifecycle } from './service.ts';
import { webhookSecret } from './webhooks/secrets.ts';

export class LifecycleScheduler {
  readonly #lc: Lifecycle;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<unknown> = Promise.resolve();

  constructor(lc: Lifecycle) {
    this.#lc = lc;
  }

  /** A webhook whose secret cannot be read stops `serve` at start, not at the first alert. */
  start(): void {
    for (const webhook of this.#lc.config.webhooks) webhookSecret(webhook, this.#lc.env);
    if (this.#stop.signal.aborted) throw new BadRequest('this scheduler was stopped; make a new one');
    this.#arm(0);
  }

  #enabled(name: string): boolean {
    const settings = (this.#lc.config.jobs as Record<string, { enabled: boolean } | undefined>)[name as JobName];
    return settings?.enabled ?? true;
  }

  /** One pass over the jobs; returns what each did (ran: false when another instance holds it or it is not due). */
  async tick(): Promise<Record<string, RunResult>> {
    const results: Record<string, RunResult> = {};
    for (const job of this.#lc.jobs.values()) {
      if (this.#stop.signal.aborted) break;
      if (!this.#enabled(job.name)) continue;
      try {
        results[job.name] = await runJob(this.#lc, job, 'schedule', this.#stop.signal);
      } catch (error) {
        // The store was unreachable: the lease (if taken) runs out and a later tick retries.
        this.#lc.ctx.log.error({ err: error, job: job.name }, `lifecycle job ${job.name} could not be run`);
      }
    }
    return results;
  }

  #arm(delayMs: number): void {
    if (this.#stop.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#tick = this.tick().finally(() => this.#arm(this.#lc.config.tickSeconds * 1000));
    }, delayMs);
    // The API listener keeps `serve` alive, not this timer.
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error('the scheduler is stopping'));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#tick.catch(() => undefined);
  }
}
