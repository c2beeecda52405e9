// Which CRL partitions of a CA can hold a certificate, and so get a CRL that is stored and
// re-signed every period. Partition URLs are public and any YYYYMM-h parses: without this
// check, anyone could make fleetpki sign, store, audit and then re-sign forever every
// partition up to the CA's notAfter (1.9 million for a manufacturer root valid to 9999).
// A partition can hold a certificate when
// - its month is within the CA's issuance horizon (now + the longest lifetime of the
//   profiles that name the CA): a certificate issued now may land there, or
// - the ledger holds a certificate of the CA in it (every issued certificate is recorded
//   before it is returned, so one that names the partition is there), whatever its status:
//   the partition of a valid certificate must answer too, with an empty CRL.
// Anything else no certificate names as its distribution point, so no relying party needs it.

import type { Context } from '../app/context.ts';
import { listProfiles } from '../app/profiles.ts';
import type { Issuer } from '../ca/issuer.ts';
import { validitySeconds } from '../ra/profile.ts';
import { sql } from 'kysely';
import { monthBounds, monthNumber, monthOf, type Partition } from './partition.ts';

/** Issuance may start a little after the horizon was read, by another process's clock. */
const SLACK_MS = 86_400_000;
/** A partition found empty may be answered from memory this long; one found holding a certificate, always. */
const EMPTY_TTL_MS = 5 * 60_000;
const REMEMBERED = 4096;

export class PartitionScope {
  readonly #ctx: Context;
  /** By "caId/partition": whether the ledger holds a certificate in it, and until when that answer stands. */
  readonly #known = new Map<string, { holds: boolean; until: number }>();

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** The last month (YYYY-MM) a certificate the CA issues now can expire in. */
  async horizon(issuer: Issuer, now: Date): Promise<string> {
    const lifetimes = (await listProfiles(this.#ctx)).filter((p) => p.ca === issuer.row.name).map((p) => validitySeconds(p) * 1000);
    const last = Math.min(now.getTime() + Math.max(0, ...lifetimes) + SLACK_MS, issuer.cert.notAfter.getTime());
    return monthOf(new Date(last));
  }

  /** `horizon` when the caller read it already (a sweep asks about every stored partition of a CA). */
  async canHold(issuer: Issuer, partition: Partition, now: Date, horizon?: string): Promise<boolean> {
    if (monthNumber(partition.month) <= monthNumber(horizon ?? (await this.horizon(issuer, now)))) return true;
    return this.#holdsCertificate(issuer.row.id, partition, now.getTime());
  }

  /**
   * One query on the not_after index. `issuer_id || ''` keeps SQLite, which has no statistics,
   * off the (issuer_id, status) index, which it takes otherwise (EXPLAIN QUERY PLAN) and which
   * would read every certificate of a large CA for a month that holds none of them.
   */
  async #holdsCertificate(caId: string, partition: Partition, now: number): Promise<boolean> {
    const key = `${caId}/${partition.id}`;
    const known = this.#known.get(key);
    if (known && known.until > now) return known.holds;
    const { from, before } = monthBounds(partition.month);
    const row = await this.#ctx.db
      .selectFrom('certificates')
      .select('id')
      .where('not_after', '>=', from)
      .where('not_after', '<', before)
      .where(sql<string>`issuer_id || ''`, '=', caId)
      .where(sql<string>`substr(serial_hex, length(serial_hex), 1)`, '=', partition.shard)
      .limit(1)
      .executeTakeFirst();
    const holds = row !== undefined;
    this.#known.delete(key);
    this.#known.set(key, { holds, until: holds ? Infinity : now + EMPTY_TTL_MS });
    if (this.#known.size > REMEMBERED) this.#known.delete(this.#known.keys().next().value as string);
    return holds;
  }
}
