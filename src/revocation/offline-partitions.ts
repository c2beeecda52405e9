// The CRL partitions an offline CA signs in one go for the online instance to serve. Online
// nothing can sign a partition on demand, so every partition a certificate of the CA carries
// as its distribution point must come over the air gap, or a relying party following that
// URL gets a 404 and refuses the certificate:
// - every partition holding a certificate of the CA in the ledger here (the instance that
//   holds the key recorded everything it signed), not expired past the retention cutoff;
// - when profiles here issue from the CA, every partition of the issuance horizon (now to
//   now + the longest lifetime, as partition-scope.ts computes it): certificates signed here
//   before the next round trip land there.
// A CA no profile names (a root: it signs CA certificates, which carry the full CRL's URL)
// has no horizon, and normally no partition at all.

import type { Context } from '../app/context.ts';
import { listProfiles } from '../app/profiles.ts';
import type { Issuer } from '../ca/issuer.ts';
import { sql } from 'kysely';
import { retentionCutoff } from './crl-generate.ts';
import { monthNumber, monthOf, partitionsOfMonth } from './partition.ts';
import { PartitionScope } from './partition-scope.ts';

function monthsBetween(first: string, last: string): string[] {
  const months: string[] = [];
  for (let n = monthNumber(first); n <= monthNumber(last); n++) months.push(`${String(Math.floor(n / 12)).padStart(4, '0')}-${String((n % 12) + 1).padStart(2, '0')}`);
  return months;
}

/** Partitions (YYYYMM-h) that hold a certificate of the CA not expired before `cutoff`: one grouped pass. */
async function heldPartitions(ctx: Context, issuer: Issuer, cutoff: Date): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('certificates')
    .select([sql<string>`substr(not_after, 1, 7)`.as('month'), sql<string>`substr(serial_hex, length(serial_hex), 1)`.as('shard')])
    .where('issuer_id', '=', issuer.row.id)
    .where('not_after', '>=', cutoff.toISOString())
    .groupBy([sql`substr(not_after, 1, 7)`, sql`substr(serial_hex, length(serial_hex), 1)`])
    .execute();
  return rows.map((r) => `${r.month.slice(0, 4)}${r.month.slice(5, 7)}-${r.shard}`);
}

export async function offlinePartitions(ctx: Context, issuer: Issuer, now: Date): Promise<string[]> {
  const cutoff = retentionCutoff(now, ctx.config.crl.validityHours);
  const partitions = new Set(await heldPartitions(ctx, issuer, cutoff));
  const issues = (await listProfiles(ctx)).some((p) => p.ca === issuer.row.name);
  if (issues) {
    const horizon = await new PartitionScope(ctx).horizon(issuer, now);
    for (const month of monthsBetween(monthOf(now), horizon)) for (const id of partitionsOfMonth(month)) partitions.add(id);
  }
  return [...partitions].sort();
}
