// Batch signing for a factory line or an air-gapped site: a folder (or bundle) of CSRs in, a
// folder of certificates out. Each CSR is mapped to a registered device (manifest, or the
// CSR's subject serialNumber) and issued through the normal path (issueFromCsr: RA approval,
// lint, ledger, audit), many at once so the group commit records them together. A CSR that
// cannot be signed is reported and the others go on. Whatever happens, once anything may have
// been issued the run ends by writing manifest.json and the batch.sign audit event, so every
// certificate it recorded is listed where the operator looks.

import { mkdirSync } from 'node:fs';
import { caChainPem } from '../app/cas.ts';
import { issueFromCsr } from '../app/certificates.ts';
import type { Context } from '../app/context.ts';
import { FleetPkiError } from '../errors.ts';
import { pemBlocks, toPem } from '../x509/pem.ts';
import { claimFile, fillClaimed, releaseClaimed, writeBatchManifest, writeRoots } from './batch-output.ts';
import { planBatch, type FailedEntry, type PlannedItem } from './batch-plan.ts';
import type { CsrInput } from './csr-inputs.ts';
import type { Manifest } from './csr-manifest.ts';
import { pool } from './pool.ts';
import { noProgress, type Progress } from './progress.ts';

export { fileNameFor, type FailedEntry } from './batch-plan.ts';

export interface BatchSignOptions {
  /** Profile for CSRs whose manifest entry names none. */
  profile?: string;
  manifest: Manifest | null;
  outDir: string;
  concurrency?: number;
  progress?: Progress;
}

/** A certificate a batch recorded for a device, as manifests and reports list it. */
export interface BatchCertificate {
  serial: string;
  deviceId: string;
  certificateId: string;
  certificateSerial: string;
  issuer: string;
  profile: string;
  notAfter: string;
}

export interface SignedEntry extends BatchCertificate {
  csr: string;
  /** Leaf then intermediates, relative to the output folder. */
  file: string;
}

export interface BatchReport {
  total: number;
  signed: SignedEntry[];
  failed: FailedEntry[];
  outDir: string;
}

/** Chains by issuing CA, each read once: intermediates for the device files, roots for ca.pem. */
function chainCache(ctx: Context) {
  const cache = new Map<string, Promise<{ intermediates: string; root: string }>>();
  return (issuer: string) => {
    let hit = cache.get(issuer);
    if (!hit) {
      hit = caChainPem(ctx, issuer).then((pem) => {
        const blocks = pemBlocks(pem, 'CERTIFICATE').map((der) => toPem(der, 'CERTIFICATE'));
        return { intermediates: blocks.slice(0, -1).join(''), root: blocks[blocks.length - 1] };
      });
      cache.set(issuer, hit);
    }
    return hit;
  };
}

/** Issued and recorded, but its file could not be written: reported with the certificate's id, and the batch stops. */
class NotWritten extends Error {
  readonly certificateId: string;
  constructor(certificateId: string, cause: unknown) {
    super(`certificate ${certificateId} was issued and recorded, but its file could not be written (${(cause as Error).message}); get it with \`fleetpki cert show ${certificateId} --pem\``, { cause });
    this.certificateId = certificateId;
  }
}

async function signOne(ctx: Context, item: PlannedItem, outDir: string, chains: ReturnType<typeof chainCache>, actor: string): Promise<SignedEntry> {
  const claimed = claimFile(outDir, item.file);
  let row;
  try {
    row = await issueFromCsr(ctx, { csr: item.input.bytes, profile: item.profile, deviceId: item.deviceId }, actor);
  } catch (error) {
    releaseClaimed(claimed);
    throw error;
  }
  try {
    const issuer = (await ctx.cas.get(row.issuer_id)).row.name;
    fillClaimed(claimed, toPem(row.der, 'CERTIFICATE') + (await chains(issuer)).intermediates);
    return { csr: item.input.name, serial: item.serial, deviceId: item.deviceId, certificateId: row.id, certificateSerial: row.serial_hex, issuer, profile: row.profile, notAfter: row.not_after, file: item.file };
  } catch (error) {
    releaseClaimed(claimed);
    throw new NotWritten(row.id, error);
  }
}

async function writeSummary(outDir: string, report: BatchReport, chains: ReturnType<typeof chainCache>): Promise<void> {
  const roots = new Set(await Promise.all([...new Set(report.signed.map((s) => s.issuer))].map(async (issuer) => (await chains(issuer)).root)));
  writeRoots(outDir, [...roots]);
  writeBatchManifest(outDir, { signed: report.signed, failed: report.failed });
}

export async function signBatch(ctx: Context, inputs: CsrInput[], options: BatchSignOptions, actor: string): Promise<BatchReport> {
  mkdirSync(options.outDir, { recursive: true });
  const progress = options.progress ?? noProgress;
  const concurrency = options.concurrency ?? 64;
  const chains = chainCache(ctx);
  const { planned, failed } = await planBatch(ctx, inputs, options.manifest, options.profile, concurrency);
  progress.advance(failed.length);
  const report: BatchReport = { total: inputs.length, signed: [], failed, outDir: options.outDir };
  // An error that is not a refusal (a full disk, a lost database) stops the run: the items not
  // yet started are listed as not attempted, the ones in flight finish, and the summary is written.
  let stopped: unknown = null;
  await pool(planned, concurrency, async (item) => {
    const entry = { csr: item.input.name, serial: item.serial };
    if (stopped) {
      report.failed.push({ ...entry, reason: 'not attempted: the batch stopped after an unexpected error' });
    } else {
      try {
        report.signed.push(await signOne(ctx, item, options.outDir, chains, actor));
      } catch (error) {
        if (error instanceof NotWritten) {
          report.failed.push({ ...entry, reason: error.message, certificateId: error.certificateId });
          stopped ??= error.cause;
        } else if (error instanceof FleetPkiError) {
          report.failed.push({ ...entry, reason: error.message });
        } else {
          report.failed.push({ ...entry, reason: `unexpected error: ${(error as Error).message}` });
          stopped ??= error;
        }
      }
    }
    progress.advance();
  });
  progress.done();
  report.signed.sort((a, b) => a.csr.localeCompare(b.csr));
  report.failed.sort((a, b) => a.csr.localeCompare(b.csr));
  try {
    await writeSummary(options.outDir, report, chains);
  } finally {
    await ctx.ledger.audit([
      {
        actor,
        action: 'batch.sign',
        target: null,
        outcome: stopped ? 'error' : 'success',
        details: {
          outDir: options.outDir,
          total: report.total,
          signed: report.signed.length,
          failed: report.failed.map((f) => ({ csr: f.csr, reason: f.reason, ...(f.certificateId ? { certificateId: f.certificateId } : {}) })),
          ...(stopped ? { error: (stopped as Error).message } : {}),
        },
      },
    ]);
  }
  if (stopped) throw stopped;
  return report;
}
