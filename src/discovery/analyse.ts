// The end of a run: judge every certificate it saw, with the whole run's chain material, the
// anchors fleetpki knows, its issuance ledger and every other place the same keys were seen.
// Certificates seen before that share a key with this run's are judged again for sharing only
// (their own chains are not at hand now, so their trust is left as their own run found it).

import type { Context } from '../app/context.ts';
import { getDiscoveredByIds, updateDiscovered, type DiscoveredRow } from '../store/repos/discovered-certificates.ts';
import { loadAnchors } from './anchors.ts';
import { applyFindings, type ApplyCounts, type ApplyInput } from './apply-findings.ts';
import { chunks } from './chunks.ts';
import { inventoryLink } from './inventory-status.ts';
import { loadKeyGroups, type KeyGroups } from './key-groups.ts';
import { FINDING_KIND_NAMES, type FindingKind } from './kinds.ts';
import type { SeenCertificate } from './record.ts';
import { certificateFindings } from './rules.ts';
import { sharingFindings } from './sharing.ts';
import { classifyTrust, type Anchor } from './trust.ts';

export interface AnalyseOptions {
  runId: string;
  now: Date;
  expiringWithinDays: number;
}

const SHARING: readonly FindingKind[] = ['shared-key', 'shared-certificate'];

interface Judged {
  apply: ApplyInput;
  /** Columns of the discovered certificate to update (run certificates only). */
  update?: Pick<DiscoveredRow, 'trust' | 'inventory_certificate_id'>;
}

async function judgeSeen(ctx: Context, cert: SeenCertificate, pool: SeenCertificate[], anchors: Anchor[], keys: KeyGroups, options: AnalyseOptions): Promise<Judged> {
  const trust = classifyTrust(cert.found, pool.map((p) => p.found), anchors);
  const link = await inventoryLink(ctx.db, cert.found, trust, keys.rows.get(cert.id));
  const role = cert.leaf ? 'leaf' : 'chain';
  const drafts = certificateFindings({ cert: cert.found, trust, inventory: link.status, role, now: options.now, expiringWithinDays: options.expiringWithinDays });
  const group = cert.leaf ? keys.groups.get(cert.found.spkiSha256) : undefined;
  const holder = group?.discovered.find((d) => d.id === cert.id);
  if (group && holder) drafts.push(...sharingFindings({ ...holder, deviceId: link.deviceId }, group));
  const issued = link.status.kind === 'issued' ? link.status.certificateId : null;
  return {
    apply: { certificateId: cert.id, drafts, judged: cert.leaf ? FINDING_KIND_NAMES : FINDING_KIND_NAMES.filter((k) => !SHARING.includes(k)), runId: options.runId, now: options.now.toISOString() },
    update: { trust: trust.trust, inventory_certificate_id: issued },
  };
}

/** Certificates from earlier runs that hold a key this run saw as a leaf. */
function partners(keys: KeyGroups, seen: Set<string>, options: AnalyseOptions): Judged[] {
  const out: Judged[] = [];
  for (const group of keys.groups.values()) {
    for (const holder of group.discovered) {
      if (seen.has(holder.id) || holder.locations.length === 0) continue;
      const drafts = sharingFindings(holder, group);
      out.push({ apply: { certificateId: holder.id, drafts, judged: SHARING, runId: options.runId, now: options.now.toISOString() } });
    }
  }
  return out;
}

async function store(ctx: Context, judged: Judged[]): Promise<ApplyCounts> {
  const total: ApplyCounts = { opened: 0, cleared: 0 };
  for (const part of chunks(judged, 200)) {
    const counts = await ctx.ledger.submit(async (trx) => {
      const sum: ApplyCounts = { opened: 0, cleared: 0 };
      for (const { apply, update } of part) {
        if (update) await updateDiscovered(trx, apply.certificateId, update);
        const c = await applyFindings(trx, apply);
        sum.opened += c.opened;
        sum.cleared += c.cleared;
      }
      return sum;
    });
    total.opened += counts.opened;
    total.cleared += counts.cleared;
  }
  return total;
}

export async function analyseRun(ctx: Context, seen: SeenCertificate[], options: AnalyseOptions): Promise<ApplyCounts> {
  if (seen.length === 0) return { opened: 0, cleared: 0 };
  const anchors = await loadAnchors(ctx.db);
  const pool = seen.filter((s) => s.found.isCa);
  const keys = await loadKeyGroups(ctx.db, [...new Set(seen.filter((s) => s.leaf).map((s) => s.found.spkiSha256))]);
  // Chain-only certificates are not in the key groups; their rows are needed for adoption state.
  for (const ids of chunks(seen.filter((s) => !keys.rows.has(s.id)).map((s) => s.id))) {
    for (const row of await getDiscoveredByIds(ctx.db, ids)) keys.rows.set(row.id, row);
  }
  const judged: Judged[] = [];
  for (const cert of seen) judged.push(await judgeSeen(ctx, cert, pool, anchors, keys, options));
  judged.push(...partners(keys, new Set(seen.map((s) => s.id)), options));
  return store(ctx, judged);
}
