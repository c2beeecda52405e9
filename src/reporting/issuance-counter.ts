// Issuance decisions as counters that every front end and every process contributes to: the
// audit log records each one (certificate.issue for REST, EST and the CLI, idevid.issue for
// factory birth certificates) with its outcome, so counting audit events counts them all,
// where an in-process counter would see only this server's REST requests. Counting is
// incremental by sequence number: the first collection reads the log once, later ones only
// the events appended since.

import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export const ISSUANCE_ACTIONS = ['certificate.issue', 'idevid.issue'] as const;

export class IssuanceCounter {
  #upTo = 0;
  readonly #counts = new Map<string, { action: string; outcome: string; value: number }>();

  /** Adds the events appended since the last call; returns every (action, outcome) total. */
  async update(db: Kysely<Database>): Promise<Array<{ action: string; outcome: string; value: number }>> {
    // The bound is read first, so events committed while counting are left for the next call.
    const head = await db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    const upTo = Number(head?.seq ?? 0);
    if (upTo > this.#upTo) {
      const rows = await db
        .selectFrom('audit_events')
        .select((eb) => ['action', 'outcome', eb.fn.countAll().as('n')])
        .where('seq', '>', this.#upTo)
        .where('seq', '<=', upTo)
        .where('action', 'in', [...ISSUANCE_ACTIONS])
        .groupBy(['action', 'outcome'])
        .execute();
      for (const row of rows) this.#add(row.action, row.outcome, Number(row.n));
      this.#upTo = upTo;
    }
    return [...this.#counts.values()];
  }

  #add(action: string, outcome: string, n: number): void {
    const key = `${action} ${outcome}`;
    const entry = this.#counts.get(key) ?? { action, outcome, value: 0 };
    entry.value += n;
    this.#counts.set(key, entry);
  }
}
