// Signs the CRLs of one CA in one run: the full CRL and/or some partitions, numbered from the
// CA's one CRL number sequence, stored together with one audit event. The caller (the CRL
// service) runs one generation per CA at a time in this process; another process doing the
// same is caught by the number check in the storing transaction.

import type { Context } from '../app/context.ts';
import type { Issuer } from '../ca/issuer.ts';
import { crlPartitionUrl } from '../ca/urls.ts';
import type { CrlsTable } from '../store/schema.ts';
import { encodeCertificateList, encodeCrlEntry, encodeTbsCertList } from '../x509/crl.ts';
import { highestCrlNumber, saveCrl } from './crl-rows.ts';
import { FULL_CRL, monthNumber, parsePartition, partitionOf } from './partition.ts';
import { monthEntries, revokedMonths } from './revoked-entries.ts';

const HOUR_MS = 3_600_000;

export interface CrlRequest {
  full: boolean;
  /** Partition ids (YYYYMM-h) to sign, whether or not they hold revocations. */
  partitions: Iterable<string>;
  /**
   * Number the CRLs above this too: an offline CA's CRLs are served online, where the
   * numbers of the CRLs imported before must be exceeded (src/revocation/offline-sign.ts).
   */
  numberAbove?: number;
  /** Revocations the ledger here does not hold (reported by the online instance), listed all the same. */
  extra?: ExtraEntry[];
}

export interface ExtraEntry {
  serialHex: string;
  notAfter: string;
  revokedAt: string;
  reasonCode: number;
}

/** Another process stored CRLs for this CA since the numbers were taken: sign again. */
export class CrlNumberRace extends Error {}

interface Collected {
  full: Buffer[];
  partitions: Map<string, Buffer[]>;
  fullEntries: number;
}

/**
 * An expired certificate stays on CRLs for one more CRL period: RFC 5280 5.3 lets an entry
 * go only after it appeared on a regularly scheduled CRL issued past the certificate's
 * notAfter. Older ones are left out, which keeps CRLs from growing forever.
 */
export function retentionCutoff(thisUpdate: Date, validityHours: number): Date {
  return new Date(thisUpdate.getTime() - validityHours * HOUR_MS);
}

/** Whole months for a full CRL or several shards of a month; a lone partition reads only its shard. */
async function reads(ctx: Context, issuer: Issuer, request: CrlRequest, cutoff: Date): Promise<Array<{ month: string; shard?: string }>> {
  const shards = new Map<string, string[]>();
  for (const { month, shard } of [...request.partitions].map((id) => parsePartition(id)!)) shards.set(month, [...(shards.get(month) ?? []), shard]);
  // Only the months that hold revocations: an IDevID's 9999-12 is one month to read, not 95,000.
  if (request.full) for (const month of await revokedMonths(ctx.db, issuer.row.id, cutoff.toISOString())) shards.set(month, []);
  return [...shards].sort(([a], [b]) => monthNumber(a) - monthNumber(b)).map(([month, wanted]) => (wanted.length === 1 ? { month, shard: wanted[0] } : { month }));
}

async function collect(ctx: Context, issuer: Issuer, request: CrlRequest, cutoff: Date, thisUpdate: Date): Promise<Collected> {
  const wanted = new Set(request.partitions);
  const out: Collected = { full: [], partitions: new Map([...wanted].map((id) => [id, []])), fullEntries: 0 };
  for (const { month, shard: only } of await reads(ctx, issuer, request, cutoff)) {
    const shards = await monthEntries(ctx.db, issuer.row.id, month, cutoff.toISOString(), thisUpdate, only);
    for (const [shard, entries] of shards) {
      const id = `${month.slice(0, 4)}${month.slice(5, 7)}-${shard}`;
      if (wanted.has(id)) out.partitions.set(id, entries);
      if (request.full) {
        // One buffer per shard: a million separate entry buffers would cost more than their bytes.
        out.full.push(Buffer.concat(entries));
        out.fullEntries += entries.length;
      }
    }
  }
  for (const entry of request.extra ?? []) {
    if (entry.notAfter < cutoff.toISOString()) continue;
    const der = encodeCrlEntry(entry.serialHex, entry.revokedAt, entry.reasonCode);
    const id = partitionOf(entry.notAfter, entry.serialHex);
    out.partitions.get(id)?.push(der);
    if (request.full) {
      out.full.push(der);
      out.fullEntries++;
    }
  }
  return out;
}

interface Unsigned {
  partition: string;
  entries: Buffer[];
  count: number;
}

function toSign(request: CrlRequest, collected: Collected): Unsigned[] {
  const list: Unsigned[] = [];
  if (request.full) list.push({ partition: FULL_CRL, entries: collected.full, count: collected.fullEntries });
  for (const [partition, entries] of collected.partitions) list.push({ partition, entries, count: entries.length });
  return list;
}

export async function generateCrls(ctx: Context, issuer: Issuer, request: CrlRequest, now = new Date()): Promise<CrlsTable[]> {
  const signer = issuer.signer(ctx.passphrase);
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + ctx.config.crl.validityHours * HOUR_MS);
  const collected = await collect(ctx, issuer, request, retentionCutoff(thisUpdate, ctx.config.crl.validityHours), thisUpdate);
  const first = Math.max(await highestCrlNumber(ctx.db, issuer.row.id), request.numberAbove ?? 0) + 1;
  const rows: CrlsTable[] = [];
  for (const [i, item] of toSign(request, collected).entries()) {
    const tbs = encodeTbsCertList({
      signatureAlgorithm: signer.scheme.algorithmDer,
      issuer: issuer.cert.subjectDer,
      issuerKeyId: issuer.keyId,
      thisUpdate,
      nextUpdate,
      crlNumber: first + i,
      distributionPoint: item.partition === FULL_CRL ? undefined : crlPartitionUrl(issuer.publicUrl, issuer.row.name, item.partition),
      entries: item.entries,
    });
    const der = encodeCertificateList(tbs, signer.scheme.algorithmDer, await signer.sign(tbs));
    rows.push({ ca_id: issuer.row.id, partition: item.partition, crl_number: first + i, this_update: thisUpdate.toISOString(), next_update: nextUpdate.toISOString(), entries: item.count, der });
  }
  await store(ctx, issuer, rows, first);
  return rows;
}

async function store(ctx: Context, issuer: Issuer, rows: CrlsTable[], first: number): Promise<void> {
  if (rows.length === 0) return;
  const partitions = rows.map((r) => r.partition);
  const audit = {
    actor: 'system:crl',
    action: 'crl.sign',
    target: `ca:${issuer.row.name}`,
    outcome: 'success' as const,
    details: { crlNumbers: [first, first + rows.length - 1], partitions, entries: rows.map((r) => r.entries), nextUpdate: rows[0].next_update },
  };
  await ctx.ledger.submit(async (trx) => {
    if ((await highestCrlNumber(trx, issuer.row.id)) >= first) throw new CrlNumberRace(`CRL number ${first} of CA ${issuer.row.name} was taken meanwhile`);
    for (const row of rows) await saveCrl(trx, row);
  }, [audit]);
}
