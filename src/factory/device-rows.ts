// Reading a bulk device file into rows, each with the line it starts on so that a refusal
// can name it. CSV (a header row, then one device per row), JSON (an array of objects) or
// JSON Lines (one object per line). Rows come out as plain records; deciding whether a row
// is a valid device is device-row.ts's business.

import { parse } from 'csv-parse/sync';
import { extname } from 'node:path';
import { BadRequest } from '../errors.ts';

export interface RawRow {
  line: number;
  /** Field name -> value; null when the row itself could not be read (see problem). */
  values: Record<string, unknown> | null;
  problem?: string;
}

export type DeviceFileFormat = 'csv' | 'json' | 'jsonl';

export function formatOf(path: string, given?: string): DeviceFileFormat {
  const format = given ?? { '.csv': 'csv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' }[extname(path).toLowerCase()];
  if (format !== 'csv' && format !== 'json' && format !== 'jsonl') throw new BadRequest(`cannot tell the format of ${path}: name it .csv, .json or .jsonl, or pass --format`);
  return format;
}

function csvRows(text: string): RawRow[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // With info: true each record comes with the line it ends on (csv-parse's typings do not follow the option).
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }) as unknown as typeof records;
  } catch (error) {
    throw new BadRequest(`the CSV cannot be read: ${(error as Error).message}`);
  }
  if (records.length === 0) return [];
  const header = records[0].record;
  return records.slice(1).map(({ record, info }) => {
    if (record.length !== header.length) return { line: info.lines, values: null, problem: `expected ${header.length} fields as in the header, found ${record.length}` };
    // An empty cell means "not given", as an absent key in JSON.
    const values = Object.fromEntries(header.map((name, i) => [name, record[i]]).filter(([, v]) => v !== ''));
    return { line: info.lines, values };
  });
}

function objectRow(line: number, value: unknown): RawRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line, values: null, problem: 'not a JSON object' };
  return { line, values: value as Record<string, unknown> };
}

function jsonLinesRows(text: string): RawRow[] {
  const rows: RawRow[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      rows.push(objectRow(i + 1, JSON.parse(raw)));
    } catch (error) {
      rows.push({ line: i + 1, values: null, problem: `not valid JSON: ${(error as Error).message}` });
    }
  });
  return rows;
}

/**
 * The line each element of a top-level JSON array starts on. JSON.parse gives no positions,
 * so the text is walked once, skipping strings, counting depth.
 */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (depth === 1 && expectElement && c !== ']') {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    if (depth === 1 && (c === '[' || c === ',')) expectElement = true;
  }
  return lines;
}

function jsonRows(text: string): RawRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadRequest(`the JSON cannot be read: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new BadRequest('a JSON device file must hold an array of device objects (or use JSON Lines, .jsonl)');
  const lines = arrayElementLines(text);
  return parsed.map((value, i) => objectRow(lines[i] ?? 0, value));
}

export function readDeviceRows(text: string, format: DeviceFileFormat): RawRow[] {
  if (format === 'csv') return csvRows(text);
  if (format === 'jsonl') return jsonLinesRows(text);
  return jsonRows(text);
}
