// Issuance decisions as counters that every front end and every process contributes to: the
// audit log records each one (certificate.issue for REST, EST and the CLI, idevid.issue for
// factory birth certificates) with its outcome, so counting audit events counts them all,
// where an in-process counter would see only this server's REST requests. Counting is
// incremental by sequence number: the first collection reads the log once, later ones only
// the events appended since.
//
// A device refused by the EST authoriser (unknown, used or expired bootstrap token, an IDevID
// from no registered manufacturer, a certificate that may not renew) never reaches
// certificate.issue: the refusal is audited as est.<operation> (src/app/enrollment.ts), so
// those actions are counted too, one label value per operation. They only ever carry
// outcome="refused"; an authorised EST request is counted under certificate.issue.

import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** EST operations whose authoriser refusals are audited as est.<operation>. */
export const EST_ACTIONS = ['est.simpleenroll', 'est.simplereenroll', 'est.serverkeygen'] as const;
export const ISSUANCE_ACTIONS = ['certificate.issue', 'idevid.issue', ...EST_ACTIONS] as const;

export class IssuanceCounter {
  #upTo = 0;
  readonly #counts = new Map<string, { action: string; outcome: string; value: number }>();

  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Adds the events appended since the last call; returns every (action, outcome) total.
   * Calls run one after the other: two at once would both read from the same sequence number
   * and add the same events twice (every gauge of a scrape asks, concurrently, whenever the
   * snapshot cache does not hold them together).
   */
  update(db: Kysely<Database>): Promise<Array<{ action: string; outcome: string; value: number }>> {
    const next = this.#queue.then(() => this.#update(db));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #update(db: Kysely<Database>): Promise<Array<{ action: string; outcome: string; value: number }>> {
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
