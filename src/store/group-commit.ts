// Group commit: writes (and the audit events that go with them) submitted while a transaction
// is running are committed together in the next one. Every caller still gets its answer only
// after its own rows are durable, so "recorded before returned" holds without one commit per
// certificate. If a batch fails, its items are retried one by one so that one bad write (a
// duplicate serial, a state conflict) fails alone.

import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/log.ts';
import type { Database, Engine } from './schema.ts';

/** `audit` holds the events submitted with the work; the work may add events it discovers. */
export type Work<T> = (trx: Kysely<Database>, audit: AuditEvent[]) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  audit: AuditEvent[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #db: Kysely<Database>;
  readonly #engine: Engine;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing = false;
  batches = 0;
  items = 0;

  constructor(db: Kysely<Database>, engine: Engine, maxBatch = 500) {
    this.#db = db;
    this.#engine = engine;
    this.#maxBatch = maxBatch;
  }

  /** Runs `work` in a transaction shared with other concurrent submissions, appending `audit` in the same commit. */
  submit<T>(work: Work<T>, audit: AuditEvent[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, audit, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Audit events alone (refusals, reads worth recording). */
  audit(events: AuditEvent[]): Promise<void> {
    return this.submit(async () => undefined, events);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      await this.#commit(batch);
    }
    this.#flushing = false;
  }

  async #commit(batch: Pending[]): Promise<void> {
    this.batches++;
    this.items += batch.length;
    try {
      const results = await this.#db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        const events: AuditEvent[] = [];
        for (const item of batch) {
          const itemEvents = [...item.audit];
          out.push(await item.work(trx, itemEvents));
          events.push(...itemEvents);
        }
        await appendAudit(trx, this.#engine, events);
        return out;
      });
      batch.forEach((item, i) => item.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const item of batch) await this.#commit([item]);
    }
  }

  /** Resolves once everything submitted so far is committed (for shutdown). */
  async idle(): Promise<void> {
    while (this.#flushing) await new Promise((r) => setTimeout(r, 5));
  }
}
