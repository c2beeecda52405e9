// `fleetpki cert import --bundle`: the way back from an air-gapped issuing CA. Its instance
// signs a batch (`fleetpki batch sign`) and records it in its own inventory; the folder it
// writes is carried here and each certificate is recorded in this inventory too, so that it
// can be found, watched and revoked where the fleet is run. Each certificate is judged on its
// own (src/factory/import-verify.ts); a refused one leaves nothing but its audit event.

import type { AuditEvent } from '../audit/log.ts';
import type { Context } from '../app/context.ts';
import { BadRequest, Conflict, FleetPkiError, PolicyDenied } from '../errors.ts';
import { isUniqueViolation } from '../store/open.ts';
import { insertCertificate } from '../store/repos/certificates.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { join } from 'node:path';
import { readEntryCertificate, type Bundle, type BundleEntry } from './bundle-read.ts';
import { knownCas, verifyEntry, type KnownCa, type Verdict } from './import-verify.ts';
import type { BatchCertificate } from './batch-sign.ts';
import { pool } from './pool.ts';
import { noProgress, type Progress } from './progress.ts';

export interface ImportOptions {
  /** Profile for entries whose manifest names none. */
  profile?: string;
  concurrency?: number;
  progress?: Progress;
  now?: Date;
}

export interface ImportedEntry extends BatchCertificate {
  file: string;
}

export interface SkippedEntry {
  file: string;
  serial: string;
  certificateId: string;
  reason: string;
}

export interface ImportFailure {
  file: string;
  serial: string;
  reason: string;
}

export interface ImportReport {
  bundle: string;
  total: number;
  imported: ImportedEntry[];
  skipped: SkippedEntry[];
  failed: ImportFailure[];
}

interface Item {
  entry: BundleEntry;
  der: Buffer;
}

/** Reads every file first, so the same certificate listed twice is caught before either is judged. */
function readItems(bundle: Bundle, actor: string, report: ImportReport): { items: Item[]; refusals: AuditEvent[] } {
  const items: Item[] = [];
  const refusals: AuditEvent[] = [];
  const seen = new Map<string, string>();
  for (const entry of bundle.entries) {
    try {
      const der = readEntryCertificate(bundle, entry);
      const fingerprint = sha256Hex(der);
      const first = seen.get(fingerprint);
      if (first) throw new BadRequest(`the same certificate as ${first} is listed twice in this bundle`);
      seen.set(fingerprint, entry.file);
      items.push({ entry, der });
    } catch (error) {
      if (!(error instanceof FleetPkiError)) throw error;
      const failure = { file: entry.file, serial: entry.serial, reason: error.message };
      report.failed.push(failure);
      refusals.push(refusal(actor, bundle, failure, error.code));
    }
  }
  return { items, refusals };
}

async function record(ctx: Context, verdict: Extract<Verdict, { kind: 'new' }>, event: AuditEvent): Promise<void> {
  const { row } = verdict;
  try {
    await ctx.ledger.submit(async (trx) => {
      // Decided again where the row is written, as issuance does: the device may have been
      // suspended or decommissioned since it was looked at.
      const device = await trx.selectFrom('devices').select('status').where('id', '=', row.device_id!).executeTakeFirst();
      if (!device || device.status === 'suspended' || device.status === 'decommissioned') throw new PolicyDenied(`device ${verdict.device.external_serial} is ${device?.status ?? 'gone'} here: the certificate was not recorded`);
      await insertCertificate(trx, row);
      await trx.updateTable('devices').set({ status: 'active', updated_at: row.created_at }).where('id', '=', row.device_id!).where('status', '=', 'registered').execute();
    }, [event]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`CA ${verdict.ca.name} serial ${row.serial_hex} was recorded meanwhile (another import at the same time?)`);
    throw error;
  }
}

async function importOne(ctx: Context, bundle: Bundle, item: Item, cas: KnownCa[], options: ImportOptions, actor: string, report: ImportReport): Promise<void> {
  const { entry } = item;
  const source = join(bundle.dir, entry.file);
  const verdict = await verifyEntry(ctx, entry, item.der, cas, options.profile, options.now ?? new Date());
  if (verdict.kind === 'recorded') {
    report.skipped.push({ file: entry.file, serial: entry.serial, certificateId: verdict.row.id, reason: `already recorded as certificate ${verdict.row.id}` });
    return;
  }
  const { row, ca, device } = verdict;
  await record(ctx, verdict, {
    actor,
    action: 'certificate.import',
    target: `certificate:${row.id}`,
    outcome: 'success',
    details: { source, bundle: bundle.manifestPath, serial: row.serial_hex, issuer: ca.name, profile: row.profile, device: device.id, deviceSerial: device.external_serial, notAfter: row.not_after, fingerprint: row.fingerprint_sha256, sourceCertificateId: entry.sourceCertificateId ?? null },
  });
  report.imported.push({ file: entry.file, serial: entry.serial, deviceId: device.id, certificateId: row.id, certificateSerial: row.serial_hex, issuer: ca.name, profile: row.profile, notAfter: row.not_after });
}

function refusal(actor: string, bundle: Bundle, failure: ImportFailure, code: string): AuditEvent {
  return { actor, action: 'certificate.import', target: null, outcome: 'refused', details: { source: join(bundle.dir, failure.file), deviceSerial: failure.serial, code, reason: failure.reason } };
}

export async function importBundle(ctx: Context, bundle: Bundle, options: ImportOptions, actor: string): Promise<ImportReport> {
  const progress = options.progress ?? noProgress;
  const report: ImportReport = { bundle: bundle.manifestPath, total: bundle.entries.length, imported: [], skipped: [], failed: [] };
  const { items, refusals } = readItems(bundle, actor, report);
  if (refusals.length > 0) await ctx.ledger.audit(refusals);
  progress.advance(refusals.length);
  const cas = await knownCas(ctx);
  // As in batch sign: an error that is not a refusal stops the run, and the summary is still written.
  let stopped: unknown = null;
  await pool(items, options.concurrency ?? 32, async (item) => {
    const failure = { file: item.entry.file, serial: item.entry.serial };
    if (stopped) {
      report.failed.push({ ...failure, reason: 'not attempted: the import stopped after an unexpected error' });
    } else {
      try {
        await importOne(ctx, bundle, item, cas, options, actor, report);
      } catch (error) {
        if (error instanceof FleetPkiError) {
          const refused = { ...failure, reason: error.message };
          report.failed.push(refused);
          await ctx.ledger.audit([refusal(actor, bundle, refused, error.code)]);
        } else {
          report.failed.push({ ...failure, reason: `unexpected error: ${(error as Error).message}` });
          stopped ??= error;
        }
      }
    }
    progress.advance();
  });
  progress.done();
  for (const list of [report.imported, report.skipped, report.failed]) list.sort((a, b) => a.file.localeCompare(b.file));
  await ctx.ledger.audit([
    {
      actor,
      action: 'batch.import',
      target: null,
      outcome: stopped ? 'error' : 'success',
      details: {
        bundle: bundle.manifestPath,
        manifestSha256: bundle.manifestSha256,
        total: report.total,
        imported: report.imported.length,
        skipped: report.skipped.length,
        failed: report.failed.map((f) => ({ file: f.file, reason: f.reason })),
        ...(stopped ? { error: (stopped as Error).message } : {}),
      },
    },
  ]);
  if (stopped) throw stopped;
  return report;
}
