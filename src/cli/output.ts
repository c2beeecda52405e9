// Human and machine output in one place. Results go to stdout, everything else (notes,
// summaries, paging hints) to stderr, so `fleetpki ... > file` and pipes get only the result.

export interface Output {
  json: boolean;
  /** A result: pretty JSON with --json, otherwise the human rendering. */
  result(value: unknown, human: () => string): void;
  /** A side note for people (stderr), never part of the result. */
  note(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      const text = json ? JSON.stringify(value, null, 2) : human();
      if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Plain aligned columns: readable in any terminal, greppable, no colour codes. */
export function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => row.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join('\n');
}

/** "key: value" lines with the values aligned; nested objects are shown as compact JSON. */
export function keyValues(pairs: Array<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)} ${cell(value)}`).join('\n');
}

/** Tells a person how to fetch the next page; machines read nextCursor from the JSON. */
export function pagingNote(out: Output, nextCursor: string | number | null, flag = '--after'): void {
  if (nextCursor !== null && !out.json) out.note(`more results: repeat with ${flag} ${nextCursor}`);
}
