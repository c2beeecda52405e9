// The manifest of a batch says which device each CSR is for, when the CSRs themselves do not
// (by a subject serialNumber). CSV with a header `file,serial[,profile]`, or JSON: an array of
// {file, serial, profile?} or an object {"<file>": "<serial>"}.

import { parse } from 'csv-parse/sync';
import { extname } from 'node:path';
import { BadRequest } from '../errors.ts';

export interface ManifestEntry {
  serial: string;
  profile?: string;
}

export type Manifest = Map<string, ManifestEntry>;

function entry(file: unknown, serial: unknown, profile: unknown, where: string): [string, ManifestEntry] {
  if (typeof file !== 'string' || file === '' || typeof serial !== 'string' || serial === '') throw new BadRequest(`manifest ${where}: needs a file and a serial`);
  if (profile !== undefined && profile !== '' && typeof profile !== 'string') throw new BadRequest(`manifest ${where}: profile must be text`);
  return [file, profile ? { serial, profile: profile as string } : { serial }];
}

function fromJson(value: unknown): Manifest {
  if (Array.isArray(value)) return new Map(value.map((item, i) => entry(item?.file, item?.serial, item?.profile, `item ${i + 1}`)));
  if (value && typeof value === 'object') return new Map(Object.entries(value).map(([file, serial]) => entry(file, serial, undefined, `key ${file}`)));
  throw new BadRequest('a JSON manifest is an array of {file, serial, profile} or an object {file: serial}');
}

function fromCsv(text: string): Manifest {
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, trim: true });
  } catch (error) {
    throw new BadRequest(`the manifest cannot be read: ${(error as Error).message}`);
  }
  return new Map(rows.map((row, i) => entry(row.file, row.serial, row.profile, `row ${i + 2}`)));
}

export function readManifest(path: string, text: string): Manifest {
  if (extname(path).toLowerCase() !== '.json') return fromCsv(text);
  try {
    return fromJson(JSON.parse(text));
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest(`the manifest is not valid JSON: ${(error as Error).message}`);
  }
}
