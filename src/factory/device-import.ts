// Bulk registration of devices from a factory file. Every good row is registered through the
// normal path (app/devices.ts createDevice, audited); rows go in batches whose inserts the
// group commit folds into one transaction each. A bad row is reported with its line and
// reason and does not stop the others. Duplicates, in the file or against the inventory, and
// manufacturers that are not registered are refused before they reach the ledger, so one such
// row does not break a batch into single commits, a dry run refuses what a real run would, and
// each refusal is still an audit event.

import { createDevice, type DeviceInput } from '../app/devices.ts';
import type { Context } from '../app/context.ts';
import { FleetPkiError } from '../errors.ts';
import type { AuditEvent } from '../audit/log.ts';
import { deviceFromRow, type RowDefaults } from './device-row.ts';
import type { RawRow } from './device-rows.ts';
import { noProgress, type Progress } from './progress.ts';

export interface RowError {
  line: number;
  serial: string | null;
  reason: string;
}

export interface ImportReport {
  total: number;
  imported: number;
  failed: number;
  dryRun: boolean;
  errors: RowError[];
}

export interface ImportOptions {
  defaults: RowDefaults;
  source: string;
  dryRun?: boolean;
  batchSize?: number;
  progress?: Progress;
}

interface GoodRow {
  line: number;
  input: DeviceInput;
}

/** Rows that are devices, and the reasons the others are not; a serial seen twice is refused the second time. */
function validate(rows: RawRow[], defaults: RowDefaults): { good: GoodRow[]; errors: RowError[] } {
  const good: GoodRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const named = row.values?.externalSerial ?? row.values?.serial;
    const serial = typeof named === 'string' ? named : null;
    if (!row.values) {
      errors.push({ line: row.line, serial, reason: row.problem ?? 'unreadable row' });
      continue;
    }
    const result = deviceFromRow(row.values, defaults);
    if ('problems' in result) {
      errors.push({ line: row.line, serial, reason: result.problems.join('; ') });
      continue;
    }
    const first = seen.get(result.input.externalSerial);
    if (first !== undefined) {
      errors.push({ line: row.line, serial, reason: `duplicate: serial ${result.input.externalSerial} is already on line ${first}` });
      continue;
    }
    seen.set(result.input.externalSerial, row.line);
    good.push({ line: row.line, input: result.input });
  }
  return { good, errors };
}

async function alreadyRegistered(ctx: Context, batch: GoodRow[]): Promise<Set<string>> {
  const serials = batch.map((row) => row.input.externalSerial);
  const rows = await ctx.db.selectFrom('devices').select('external_serial').where('external_serial', 'in', serials).execute();
  return new Set(rows.map((r) => r.external_serial));
}

/** The manufacturer names the batch binds devices to that are registered. */
async function registeredManufacturers(ctx: Context, batch: GoodRow[]): Promise<Set<string>> {
  const names = [...new Set(batch.flatMap((row) => (row.input.manufacturer ? [row.input.manufacturer] : [])))];
  if (names.length === 0) return new Set();
  const rows = await ctx.db.selectFrom('manufacturers').select('name').where('name', 'in', names).execute();
  return new Set(rows.map((r) => r.name));
}

/** Why createDevice would refuse the row before writing it, in its words and code; null if it would not. */
function refusalOf(row: GoodRow, existing: Set<string>, manufacturers: Set<string>): { code: 'conflict' | 'not_found'; reason: string } | null {
  const { externalSerial, manufacturer } = row.input;
  if (existing.has(externalSerial)) return { code: 'conflict', reason: `duplicate: a device with serial ${externalSerial} is already registered` };
  // createDevice checks the name again in its transaction; this is the same check, made early.
  if (manufacturer && !manufacturers.has(manufacturer)) return { code: 'not_found', reason: `no manufacturer named ${manufacturer} is registered (fleetpki manufacturer list)` };
  return null;
}

async function importBatch(ctx: Context, batch: GoodRow[], options: ImportOptions, actor: string, errors: RowError[]): Promise<number> {
  const [existing, manufacturers] = await Promise.all([alreadyRegistered(ctx, batch), registeredManufacturers(ctx, batch)]);
  const refusals: AuditEvent[] = [];
  const fresh = batch.filter((row) => {
    const refusal = refusalOf(row, existing, manufacturers);
    if (!refusal) return true;
    errors.push({ line: row.line, serial: row.input.externalSerial, reason: refusal.reason });
    refusals.push({ actor, action: 'device.create', target: `device-serial:${row.input.externalSerial}`, outcome: 'refused', details: { ...refusal, source: options.source, line: row.line } });
    return false;
  });
  if (refusals.length > 0) await ctx.ledger.audit(refusals);
  if (options.dryRun) return fresh.length;
  const results = await Promise.allSettled(fresh.map((row) => createDevice(ctx, row.input, actor)));
  let imported = 0;
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return imported++;
    // Anything but a refusal (the database is gone) stops the import: rows after it would fail alike.
    if (!(result.reason instanceof FleetPkiError)) throw result.reason;
    errors.push({ line: fresh[i].line, serial: fresh[i].input.externalSerial, reason: result.reason.message });
  });
  return imported;
}

export async function importDevices(ctx: Context, rows: RawRow[], options: ImportOptions, actor: string): Promise<ImportReport> {
  const progress = options.progress ?? noProgress;
  const { good, errors } = validate(rows, options.defaults);
  progress.advance(errors.length);
  const size = options.batchSize ?? 500;
  let imported = 0;
  for (let i = 0; i < good.length; i += size) {
    const batch = good.slice(i, i + size);
    imported += await importBatch(ctx, batch, options, actor, errors);
    progress.advance(batch.length);
  }
  progress.done();
  errors.sort((a, b) => a.line - b.line);
  await ctx.ledger.audit([{ actor, action: 'device.import', target: null, outcome: 'success', details: { source: options.source, total: rows.length, imported, failed: errors.length, dryRun: Boolean(options.dryRun) } }]);
  return { total: rows.length, imported, failed: errors.length, dryRun: Boolean(options.dryRun), errors };
}
