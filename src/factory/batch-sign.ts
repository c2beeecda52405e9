// Batch signing for a factory line or an air-gapped site: a folder (or bundle) of CSRs in, a
// folder of certificates out. Each CSR is mapped to a registered device (manifest, or the
// CSR's subject serialNumber) and issued through the normal path (issueFromCsr: RA approval,
// lint, ledger, audit), many at once so the group commit records them together. A CSR that
// cannot be signed is reported and the others go on.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caChainPem } from '../app/cas.ts';
import { issueFromCsr } from '../app/certificates.ts';
import type { Context } from '../app/context.ts';
import { BadRequest, Conflict, FleetPkiError, NotFound } from '../errors.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import { parseCsr } from '../x509/csr.ts';
import { nameAttribute } from '../x509/name.ts';
import { pemBlocks, toPem } from '../x509/pem.ts';
import type { CsrInput } from './csr-inputs.ts';
import type { Manifest } from './csr-manifest.ts';
import { noProgress, type Progress } from './progress.ts';

export interface BatchSignOptions {
  /** Profile for CSRs whose manifest entry names none. */
  profile?: string;
  manifest: Manifest | null;
  outDir: string;
  concurrency?: number;
  progress?: Progress;
}

export interface SignedEntry {
  csr: string;
  serial: string;
  deviceId: string;
  certificateId: string;
  certificateSerial: string;
  issuer: string;
  notAfter: string;
  /** Leaf then intermediates, relative to the output folder. */
  file: string;
}

export interface FailedEntry {
  csr: string;
  serial: string | null;
  reason: string;
}

export interface BatchReport {
  total: number;
  signed: SignedEntry[];
  failed: FailedEntry[];
  outDir: string;
}

/** File names from serials: anything but letters, digits, dot, dash and underscore becomes _. */
export function fileNameFor(serial: string): string {
  return `${serial.replace(/[^A-Za-z0-9._-]/g, '_')}.pem`;
}

async function serialFor(input: CsrInput, manifest: Manifest | null): Promise<string> {
  const listed = manifest?.get(input.name)?.serial;
  if (listed) return listed;
  const serial = nameAttribute((await parseCsr(input.bytes)).subjectDer, 'serialNumber');
  if (!serial) throw new BadRequest(`${input.name} is in no manifest entry and its subject has no serialNumber: cannot tell which device it is for`);
  return serial;
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

async function signOne(ctx: Context, input: CsrInput, options: BatchSignOptions, chains: ReturnType<typeof chainCache>, actor: string): Promise<SignedEntry> {
  const serial = await serialFor(input, options.manifest);
  const profile = options.manifest?.get(input.name)?.profile ?? options.profile;
  if (!profile) throw new BadRequest(`no profile for ${input.name}: give --profile or a profile in the manifest`);
  const device = await getDeviceBySerial(ctx.db, serial);
  if (!device) throw new NotFound(`no device with serial ${serial}: register it first (fleetpki device import)`);
  const file = fileNameFor(serial);
  if (existsSync(join(options.outDir, file))) throw new Conflict(`${file} is already in the output folder: this device was signed before (remove the file to sign again)`);
  const row = await issueFromCsr(ctx, { csr: input.bytes, profile, deviceId: device.id }, actor);
  const issuer = (await ctx.cas.get(row.issuer_id)).row.name;
  writeFileSync(join(options.outDir, file), toPem(row.der, 'CERTIFICATE') + (await chains(issuer)).intermediates, { flag: 'wx' });
  return { csr: input.name, serial, deviceId: device.id, certificateId: row.id, certificateSerial: row.serial_hex, issuer, notAfter: row.not_after, file };
}

async function writeSummary(outDir: string, report: BatchReport, chains: ReturnType<typeof chainCache>): Promise<void> {
  const roots = new Set(await Promise.all([...new Set(report.signed.map((s) => s.issuer))].map(async (issuer) => (await chains(issuer)).root)));
  if (roots.size > 0) writeFileSync(join(outDir, 'ca.pem'), [...roots].join(''));
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify({ signed: report.signed, failed: report.failed }, null, 2)}\n`);
}

export async function signBatch(ctx: Context, inputs: CsrInput[], options: BatchSignOptions, actor: string): Promise<BatchReport> {
  mkdirSync(options.outDir, { recursive: true });
  const progress = options.progress ?? noProgress;
  const chains = chainCache(ctx);
  const report: BatchReport = { total: inputs.length, signed: [], failed: [], outDir: options.outDir };
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next++];
      try {
        report.signed.push(await signOne(ctx, input, options, chains, actor));
      } catch (error) {
        if (!(error instanceof FleetPkiError)) throw error;
        report.failed.push({ csr: input.name, serial: options.manifest?.get(input.name)?.serial ?? null, reason: error.message });
      }
      progress.advance();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 64, inputs.length) }, worker));
  progress.done();
  report.signed.sort((a, b) => a.csr.localeCompare(b.csr));
  report.failed.sort((a, b) => a.csr.localeCompare(b.csr));
  await writeSummary(options.outDir, report, chains);
  await ctx.ledger.audit([{ actor, action: 'batch.sign', target: null, outcome: 'success', details: { total: report.total, signed: report.signed.length, failed: report.failed.map((f) => ({ csr: f.csr, reason: f.reason })) } }]);
  return report;
}
