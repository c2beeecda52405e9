// The CRLs of every CA as the front ends and the scheduler see them: the current one of a
// (CA, partition), signed on demand when missing or out of date; regeneration after
// revocations; the periodic refresh. One generation per CA at a time in this process.

import type { Context } from '../app/context.ts';
import type { Issuer } from '../ca/issuer.ts';
import { NotFound } from '../errors.ts';
import { listCas } from '../store/repos/cas.ts';
import type { CrlsTable } from '../store/schema.ts';
import { deleteCrls, getCrlDer, getCrlMeta, listCrlMeta, type CrlMeta } from './crl-rows.ts';
import { CrlNumberRace, generateCrls, retentionCutoff, type CrlRequest } from './crl-generate.ts';
import { FULL_CRL, parsePartition, partitionOf } from './partition.ts';
import { PartitionScope } from './partition-scope.ts';

const HOUR_MS = 3_600_000;
const CACHE_SIZE = 256;
const ATTEMPTS = 3;

export interface CurrentCrl {
  meta: CrlMeta;
  der: Buffer;
  caName: string;
}

export class CrlService {
  readonly #ctx: Context;
  readonly #queues = new Map<string, Promise<unknown>>();
  /** DER by "caId/partition", checked against the stored CRL number on every use. */
  readonly #cache = new Map<string, { crlNumber: number; der: Buffer }>();
  /** On-demand signings in progress, so a burst of requests for a missing CRL signs it once. */
  readonly #signing = new Map<string, Promise<CurrentCrl>>();
  readonly #scope: PartitionScope;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#scope = new PartitionScope(ctx);
  }

  /** When a stored CRL is re-signed: refreshBeforeHours ahead of nextUpdate, at most half its validity. */
  dueAt(meta: CrlMeta): number {
    const { validityHours, refreshBeforeHours } = this.#ctx.config.crl;
    return Date.parse(meta.next_update) - Math.min(refreshBeforeHours, validityHours / 2) * HOUR_MS;
  }

  /** A partition whose certificates all expired more than one CRL period ago. */
  isExpired(partition: string, now: Date): boolean {
    const p = parsePartition(partition);
    return p !== null && p.end < retentionCutoff(now, this.#ctx.config.crl.validityHours);
  }

  /** Signs the requested CRLs of one CA after any other generation for it, retrying a CRL number race. */
  regenerate(issuer: Issuer, request: CrlRequest, now?: Date): Promise<CrlsTable[]> {
    const previous = this.#queues.get(issuer.row.id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#attempt(issuer, request, now));
    this.#queues.set(issuer.row.id, run);
    void run.finally(() => this.#queues.get(issuer.row.id) === run && this.#queues.delete(issuer.row.id)).catch(() => undefined);
    return run;
  }

  async #attempt(issuer: Issuer, request: CrlRequest, now?: Date): Promise<CrlsTable[]> {
    const partitions = [...request.partitions];
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await generateCrls(this.#ctx, issuer, { ...request, partitions }, now ?? new Date());
        for (const row of rows) this.#remember(row.ca_id, row.partition, row.crl_number, row.der);
        return rows;
      } catch (error) {
        if (!(error instanceof CrlNumberRace) || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  #remember(caId: string, partition: string, crlNumber: number, der: Buffer): void {
    const key = `${caId}/${partition}`;
    this.#cache.delete(key);
    this.#cache.set(key, { crlNumber, der });
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  /** The CRL to serve for a CA name and partition ("full" or YYYYMM-h); NotFound explains any refusal. */
  async current(caName: string, partition: string, now = new Date()): Promise<CurrentCrl> {
    const issuer = await this.#ctx.cas.byName(caName);
    let meta = await getCrlMeta(this.#ctx.db, issuer.row.id, partition);
    if (meta && Date.parse(meta.next_update) > now.getTime()) return { meta, der: await this.#der(issuer.row.id, meta), caName };
    await this.#assertCanSign(issuer, partition, now, meta);
    const key = `${issuer.row.id}/${partition}`;
    let signing = this.#signing.get(key);
    if (!signing) {
      signing = this.#signNow(issuer, partition, now).finally(() => this.#signing.delete(key));
      this.#signing.set(key, signing);
    }
    return signing;
  }

  async #signNow(issuer: Issuer, partition: string, now: Date): Promise<CurrentCrl> {
    const request = partition === FULL_CRL ? { full: true, partitions: [] } : { full: false, partitions: [partition] };
    const { der, ...meta } = (await this.regenerate(issuer, request, now)).find((r) => r.partition === partition)!;
    return { meta, der, caName: issuer.row.name };
  }

  async #der(caId: string, meta: CrlMeta): Promise<Buffer> {
    const cached = this.#cache.get(`${caId}/${meta.partition}`);
    if (cached?.crlNumber === meta.crl_number) return cached.der;
    const der = await getCrlDer(this.#ctx.db, caId, meta.partition);
    if (!der) throw new NotFound(`the CRL of ${meta.partition} was replaced while being read; ask again`);
    this.#remember(caId, meta.partition, meta.crl_number, der);
    return der;
  }

  /**
   * A partition no certificate can be in is a 404, not an empty CRL: no certificate names its
   * URL, so only someone probing asks, and signing (let alone storing and re-signing) for every
   * name that parses would hand the CA's signing time and the store to anyone.
   */
  async #assertCanSign(issuer: Issuer, partition: string, now: Date, stored?: CrlMeta): Promise<void> {
    const name = issuer.row.name;
    if (!issuer.hasKey) {
      const last = stored ? `; the one imported expired at ${stored.next_update}` : '';
      throw new NotFound(`CA ${name} is kept offline (no key here), so fleetpki cannot sign its CRL${last}; its operator brings it from the offline instance (fleetpki crl request, crl sign-request, crl import)`);
    }
    if (partition === FULL_CRL) return;
    const p = parsePartition(partition);
    if (!p) throw new NotFound(`no CRL partition "${partition}" of CA ${name}: partitions are named YYYYMM-h (expiry month, last hex digit of the serial), e.g. /crl/${name}/202612-a.crl`);
    if (this.isExpired(partition, now)) throw new NotFound(`CRL partition ${partition} of CA ${name} has expired: all its certificates are past notAfter`);
    if (p.start > issuer.cert.notAfter) throw new NotFound(`CRL partition ${partition} is after CA ${name} expires; none of its certificates can be in it`);
    if (!(await this.#scope.canHold(issuer, p, now))) {
      throw new NotFound(`no certificate of CA ${name} is in CRL partition ${partition}, and none issued now can be (their lifetimes end by ${await this.#scope.horizon(issuer, now)}): no certificate names this CRL`);
    }
  }

  /** After revocations: the full CRL and the partitions of the changed certificates. */
  async afterRevocation(issuerId: string, certificateIds: string[], now = new Date()): Promise<CrlsTable[]> {
    const issuer = await this.#ctx.cas.get(issuerId);
    if (!issuer.hasKey) return [];
    const partitions = new Set<string>();
    for (let i = 0; i < certificateIds.length; i += 500) {
      const rows = await this.#ctx.db.selectFrom('certificates').select(['serial_hex', 'not_after']).where('id', 'in', certificateIds.slice(i, i + 500)).execute();
      for (const row of rows) partitions.add(partitionOf(row.not_after, row.serial_hex));
    }
    // Partitions first: they are small, and most relying parties read them; the full CRL of
    // a large fleet takes seconds (docs/benchmarks.md) and follows in its own run.
    const live = [...partitions].filter((p) => !this.isExpired(p, now));
    const signed = live.length > 0 ? await this.regenerate(issuer, { full: false, partitions: live }, now) : [];
    return [...signed, ...(await this.regenerate(issuer, { full: true, partitions: [] }, now))];
  }

  /**
   * The periodic pass: every CA with a key gets a full CRL if it has none, stored CRLs due for
   * refresh are re-signed, expired partitions are dropped. Returns whether anything was signed.
   */
  async sweep(now = new Date()): Promise<boolean> {
    let signed = false;
    for (const row of await listCas(this.#ctx.db)) {
      const metas = await listCrlMeta(this.#ctx.db, row.id);
      const expired = metas.filter((m) => m.partition !== FULL_CRL && this.isExpired(m.partition, now)).map((m) => m.partition);
      if (expired.length > 0) await this.#drop(row.id, row.name, expired, 'crl.expire');
      // A CA kept offline: its CRLs are imported (fleetpki crl import), never signed here.
      if (!row.encrypted_key) continue;
      const issuer = await this.#ctx.cas.get(row.id);
      const empty = await this.#outOfScope(issuer, metas.filter((m) => m.partition !== FULL_CRL && !expired.includes(m.partition)), now);
      if (empty.length > 0) await this.#drop(row.id, row.name, empty, 'crl.drop');
      const gone = new Set([...expired, ...empty]);
      const due = metas.filter((m) => !gone.has(m.partition) && this.dueAt(m) <= now.getTime());
      const full = !metas.some((m) => m.partition === FULL_CRL) || due.some((m) => m.partition === FULL_CRL);
      const partitions = due.map((m) => m.partition).filter((p) => p !== FULL_CRL);
      if (!full && partitions.length === 0) continue;
      await this.regenerate(issuer, { full, partitions }, now);
      signed = true;
    }
    return signed;
  }

  /** Stored partitions no certificate can be in (signed on request before requests were scoped): not worth re-signing. */
  async #outOfScope(issuer: Issuer, metas: CrlMeta[], now: Date): Promise<string[]> {
    const out: string[] = [];
    if (metas.length === 0) return out;
    const horizon = await this.#scope.horizon(issuer, now);
    for (const meta of metas) if (!(await this.#scope.canHold(issuer, parsePartition(meta.partition)!, now, horizon))) out.push(meta.partition);
    return out;
  }

  async #drop(caId: string, caName: string, partitions: string[], action: 'crl.expire' | 'crl.drop'): Promise<void> {
    const event = { actor: 'system:crl', action, target: `ca:${caName}`, outcome: 'success' as const, details: { partitions } };
    await this.#ctx.ledger.submit((trx) => deleteCrls(trx, caId, partitions), [event]);
    for (const partition of partitions) this.#cache.delete(`${caId}/${partition}`);
  }

  /**
   * The earliest time a stored CRL falls due, or null when none is stored. Only CRLs this
   * instance signs: an imported CRL of an offline CA past its due time would otherwise wake
   * the scheduler every second for a CRL it cannot re-sign (the crl-refresh job alerts instead).
   */
  async nextDue(): Promise<number | null> {
    const signed = new Set((await listCas(this.#ctx.db)).filter((ca) => ca.encrypted_key !== null).map((ca) => ca.id));
    const metas = (await listCrlMeta(this.#ctx.db)).filter((m) => signed.has(m.ca_id));
    return metas.length === 0 ? null : Math.min(...metas.map((m) => this.dueAt(m)));
  }
}

const services = new WeakMap<Context, CrlService>();

/** One service per Context, shared by the HTTP routes, the scheduler and the CLI. */
export function crlService(ctx: Context): CrlService {
  let service = services.get(ctx);
  if (!service) {
    service = new CrlService(ctx);
    services.set(ctx, service);
  }
  return service;
}
