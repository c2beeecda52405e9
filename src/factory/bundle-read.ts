// The output folder of `fleetpki batch sign`, read back on another instance: manifest.json
// says which device each certificate file is for and under which profile; the files hold the
// certificates (leaf first, then intermediates). Only the manifest's shape is checked here;
// each certificate is read and judged on its own (src/factory/import-verify.ts), so one bad
// file is one refused entry.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BadRequest } from '../errors.ts';
import { pemBlocks } from '../x509/pem.ts';

export interface BundleEntry {
  /** Certificate file name, inside the bundle folder. */
  file: string;
  /** The device's serial (external serial, the same on both instances). */
  serial: string;
  profile?: string;
  /** Hex serial of the certificate, as the signing instance recorded it. */
  certificateSerial?: string;
  /** The certificate's id on the signing instance, kept in the audit trail to find it there. */
  sourceCertificateId?: string;
}

export interface Bundle {
  dir: string;
  manifestPath: string;
  manifestSha256: string;
  entries: BundleEntry[];
}

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;
/** What fileNameFor (batch-plan.ts) produces: no path separators, so an entry cannot point outside the folder. */
const FILE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;

function manifestPathOf(path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new BadRequest(`cannot read ${path}: no such file or folder`);
  }
  return stat.isDirectory() ? join(path, 'manifest.json') : path;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function entryOf(item: unknown, index: number): BundleEntry {
  const where = `manifest.json signed[${index}]`;
  if (!item || typeof item !== 'object') throw new BadRequest(`${where} is not an object`);
  const record = item as Record<string, unknown>;
  const file = text(record.file);
  const serial = text(record.serial);
  if (!file || !serial) throw new BadRequest(`${where} needs a file and a serial`);
  const entry: BundleEntry = { file, serial };
  for (const [key, from] of [['profile', 'profile'], ['certificateSerial', 'certificateSerial'], ['sourceCertificateId', 'certificateId']] as const) {
    const value = text(record[from]);
    if (value) entry[key] = value;
  }
  return entry;
}

export function readBundle(path: string): Bundle {
  const manifestPath = resolve(manifestPathOf(path));
  let bytes: Buffer;
  try {
    if (statSync(manifestPath).size > MAX_MANIFEST_BYTES) throw new BadRequest(`${manifestPath} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    bytes = readFileSync(manifestPath);
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest(`cannot read ${manifestPath}: is ${path} the output folder of \`fleetpki batch sign\`?`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadRequest(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const signed = (manifest as { signed?: unknown } | null)?.signed;
  if (!Array.isArray(signed)) throw new BadRequest(`${manifestPath} has no "signed" list: it is not the manifest.json of \`fleetpki batch sign\``);
  return { dir: dirname(manifestPath), manifestPath, manifestSha256: createHash('sha256').update(bytes).digest('hex'), entries: signed.map(entryOf) };
}

/** The leaf of an entry's file (its first certificate); the chain after it is not trusted for anything. */
export function readEntryCertificate(bundle: Bundle, entry: BundleEntry): Buffer {
  if (!FILE_NAME.test(entry.file)) throw new BadRequest(`"${entry.file}" is not a file name inside the bundle folder`);
  const path = join(bundle.dir, entry.file);
  let bytes: Buffer;
  try {
    if (statSync(path).size > MAX_CERTIFICATE_FILE_BYTES) throw new BadRequest(`${entry.file} is larger than ${MAX_CERTIFICATE_FILE_BYTES} bytes: not a certificate file`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest(`cannot read ${entry.file} in ${bundle.dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (bytes[0] === 0x30) return bytes;
  let blocks: Buffer[];
  try {
    blocks = pemBlocks(bytes.toString('utf8'), 'CERTIFICATE');
  } catch (error) {
    throw new BadRequest(`${entry.file} is not a PEM certificate file: ${(error as Error).message}`);
  }
  if (blocks.length === 0) throw new BadRequest(`${entry.file} holds no certificate (neither DER nor a PEM CERTIFICATE block)`);
  return blocks[0];
}
