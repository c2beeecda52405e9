// Online: `fleetpki crl import`, the end of an offline CA's CRL round trip. Every file is
// judged first (imported-crl.ts), then each CA's set as a whole: one full CRL, no partition
// twice, every CRL number above the ones stored, and every revocation recorded here for the
// CA on the CRL that a relying party following the certificate's distribution point gets.
// Only then are the CRLs stored, as that CA's current ones (served at /crl/<ca>.crl and
// /crl/<ca>/<partition>.crl, re-published to crl.publishDir), with one crl.import audit
// event per CA. Any refusal stores nothing and is audited with the files it concerned.

import type { Kysely } from 'kysely';
import type { Context } from '../app/context.ts';
import { caUrls, crlPartitionUrl } from '../ca/urls.ts';
import { BadRequest, Conflict, FleetPkiError } from '../errors.ts';
import { listCas } from '../store/repos/cas.ts';
import type { Database } from '../store/schema.ts';
import { certificateUsage } from '../x509/cert-usage.ts';
import { highestCrlNumber, saveCrl } from './crl-rows.ts';
import { retentionCutoff } from './crl-generate.ts';
import { knownCas, readImportedCrl, type ImportedCrl, type KnownCa } from './imported-crl.ts';
import { FULL_CRL, partitionOf } from './partition.ts';
import { publishCrls, type Publication } from './publish.ts';

const HOUR_MS = 3_600_000;
const LISTED = 20;

export interface CrlFile {
  path: string;
  bytes: Buffer;
}

export interface ImportedCaCrls {
  ca: string;
  crls: Array<{ file: string; partition: string; crlNumber: number; thisUpdate: string; nextUpdate: string; entries: number; sha256: string }>;
  /** Revoked on the CRL, valid in the inventory here: revoked on the offline instance only. */
  revokedOnlyOffline: string[];
  warnings: string[];
}

export interface CrlImportReport {
  imported: ImportedCaCrls[];
  publication: Publication | null;
}

interface CaSet {
  ca: KnownCa;
  full: ImportedCrl;
  partitions: Map<string, ImportedCrl>;
}

function listed(serials: string[]): string {
  return serials.length <= LISTED ? serials.join(', ') : `${serials.slice(0, LISTED).join(', ')} and ${serials.length - LISTED} more`;
}

function groupByCa(crls: ImportedCrl[]): CaSet[] {
  const byCa = new Map<string, ImportedCrl[]>();
  for (const crl of crls) byCa.set(crl.ca.row.id, [...(byCa.get(crl.ca.row.id) ?? []), crl]);
  return [...byCa.values()].map((group) => {
    const ca = group[0].ca;
    const fulls = group.filter((c) => c.partition === FULL_CRL);
    if (fulls.length !== 1) {
      throw new BadRequest(fulls.length === 0 ? `the CRLs of CA ${ca.row.name} come without its full CRL: import the whole folder crl sign-request wrote` : `two full CRLs of CA ${ca.row.name}: ${fulls.map((c) => c.file).join(', ')}`);
    }
    const partitions = new Map<string, ImportedCrl>();
    for (const crl of group.filter((c) => c.partition !== FULL_CRL)) {
      const twice = partitions.get(crl.partition);
      if (twice) throw new BadRequest(`two CRLs of CA ${ca.row.name} for partition ${crl.partition}: ${twice.file}, ${crl.file}`);
      partitions.set(crl.partition, crl);
    }
    const numbers = new Map<number, string>();
    for (const crl of group) {
      const other = numbers.get(crl.crlNumber);
      if (other) throw new BadRequest(`${other} and ${crl.file} both have CRL number ${crl.crlNumber}; CRLs of one CA are numbered from one sequence`);
      numbers.set(crl.crlNumber, crl.file);
    }
    return { ca, full: fulls[0], partitions };
  });
}

/** A replayed or older CRL: every number must be above every one stored for the CA (one sequence for all its CRLs). */
async function assertNewer(db: Kysely<Database>, set: CaSet): Promise<void> {
  const highest = await highestCrlNumber(db, set.ca.row.id);
  const old = [set.full, ...set.partitions.values()].filter((c) => c.crlNumber <= highest);
  if (old.length > 0) {
    throw new Conflict(`CA ${set.ca.row.name} already has CRL number ${highest} here; ${old.map((c) => `${c.file} (number ${c.crlNumber})`).join(', ')} is not newer: an old CRL brought again, or one signed before the last import`);
  }
}

/** Entries whose certificate expired more than one period before the CRL's thisUpdate may be left out (crl-generate.ts). */
function cutoffOf(crl: ImportedCrl): string {
  return retentionCutoff(crl.thisUpdate, (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / HOUR_MS).toISOString();
}

/**
 * Every revocation recorded here must be on the full CRL, and on the partition CRL of its
 * certificate's distribution point when that URL is one this instance serves: otherwise a
 * relying party following it would take the revoked certificate for good.
 */
async function checkCoverage(ctx: Context, set: CaSet): Promise<string[]> {
  const { row } = set.ca;
  const rows = await ctx.db
    .selectFrom('certificates')
    .select(['id', 'serial_hex', 'not_after', 'der'])
    .where('issuer_id', '=', row.id)
    .where('status', 'in', ['revoked', 'on_hold'])
    .where('not_after', '>=', cutoffOf(set.full))
    .execute();
  const missing: string[] = [];
  const unserved = new Set<string>();
  const full = caUrls(ctx.config.publicUrl, row.name).crl;
  for (const cert of rows) {
    if (!set.full.serials.has(cert.serial_hex)) {
      missing.push(`${cert.serial_hex} (not on the full CRL ${set.full.file})`);
      continue;
    }
    const partition = partitionOf(cert.not_after, cert.serial_hex);
    for (const url of certificateUsage(cert.der).crlUrls) {
      if (url === full) continue;
      if (url !== crlPartitionUrl(ctx.config.publicUrl, row.name, partition)) {
        unserved.add(url);
        continue;
      }
      const crl = set.partitions.get(partition);
      if (!crl) missing.push(`${cert.serial_hex} (no CRL for its partition ${partition} in this import)`);
      else if (cert.not_after >= cutoffOf(crl) && !crl.serials.has(cert.serial_hex)) missing.push(`${cert.serial_hex} (not on ${crl.file}, partition ${partition})`);
    }
  }
  if (missing.length > 0) {
    throw new Conflict(
      `the CRLs of CA ${row.name} omit ${missing.length} revocation(s) recorded here: ${listed(missing)}. ` +
        'Revoked here after the CRL request was written? Write a new one (fleetpki crl request) and sign it offline',
    );
  }
  return [...unserved].map((url) => `revoked certificates of CA ${row.name} name ${url} as their CRL, which this instance does not serve for it: relying parties that follow it do not get this CRL from here`);
}

/** Serials on the full CRL that the inventory here holds as valid certificates of the CA. */
async function revokedOnlyOffline(ctx: Context, set: CaSet): Promise<string[]> {
  const serials = [...set.full.serials];
  const found: string[] = [];
  for (let i = 0; i < serials.length; i += 500) {
    const rows = await ctx.db
      .selectFrom('certificates')
      .select('serial_hex')
      .where('issuer_id', '=', set.ca.row.id)
      .where('status', '=', 'valid')
      .where('serial_hex', 'in', serials.slice(i, i + 500))
      .execute();
    found.push(...rows.map((r) => r.serial_hex));
  }
  return found.sort();
}

function reportOf(set: CaSet, offlineOnly: string[], warnings: string[]): ImportedCaCrls {
  const crls = [set.full, ...[...set.partitions.values()].sort((a, b) => a.partition.localeCompare(b.partition))];
  if (offlineOnly.length > 0) warnings.push(`the CRL of CA ${set.ca.row.name} lists ${offlineOnly.length} certificate(s) valid in the inventory here (${listed(offlineOnly)}): revoked on the offline instance only; revoke them here too (fleetpki cert revoke)`);
  return {
    ca: set.ca.row.name,
    crls: crls.map((c) => ({ file: c.file, partition: c.partition, crlNumber: c.crlNumber, thisUpdate: c.thisUpdate.toISOString(), nextUpdate: c.nextUpdate.toISOString(), entries: c.serials.size, sha256: c.sha256 })),
    revokedOnlyOffline: offlineOnly,
    warnings,
  };
}

async function store(ctx: Context, sets: CaSet[], reports: ImportedCaCrls[], actor: string): Promise<void> {
  const events = reports.map(({ ca, ...details }) => ({ actor, action: 'crl.import', target: `ca:${ca}`, outcome: 'success' as const, details }));
  await ctx.ledger.submit(async (trx) => {
    for (const set of sets) {
      // Another import (or a second operator) may have stored a newer CRL since the checks.
      await assertNewer(trx, set);
      for (const crl of [set.full, ...set.partitions.values()]) {
        await saveCrl(trx, { ca_id: set.ca.row.id, partition: crl.partition, crl_number: crl.crlNumber, this_update: crl.thisUpdate.toISOString(), next_update: crl.nextUpdate.toISOString(), entries: crl.serials.size, der: crl.der });
      }
    }
  }, events);
}

async function judge(ctx: Context, files: CrlFile[], now: Date): Promise<{ sets: CaSet[]; reports: ImportedCaCrls[] }> {
  if (files.length === 0) throw new BadRequest('no CRL files to import');
  const cas = knownCas(await listCas(ctx.db));
  const sets = groupByCa(files.map((f) => readImportedCrl(f.path, f.bytes, cas, ctx.config.publicUrl, now)));
  const reports: ImportedCaCrls[] = [];
  for (const set of sets) {
    await assertNewer(ctx.db, set);
    const warnings = await checkCoverage(ctx, set);
    reports.push(reportOf(set, await revokedOnlyOffline(ctx, set), warnings));
  }
  return { sets, reports };
}

export async function importCrls(ctx: Context, files: CrlFile[], actor: string, now = new Date()): Promise<CrlImportReport> {
  let reports: ImportedCaCrls[];
  try {
    const judged = await judge(ctx, files, now);
    await store(ctx, judged.sets, judged.reports, actor);
    reports = judged.reports;
  } catch (error) {
    if (error instanceof FleetPkiError) {
      await ctx.ledger.audit([{ actor, action: 'crl.import', target: null, outcome: 'refused', details: { code: error.code, reason: error.message, files: files.map((f) => f.path) } }]);
    }
    throw error;
  }
  return { imported: reports, publication: await publishCrls(ctx) };
}
