// CSV as RFC 4180 writes it: a field with a comma, a double quote, CR or LF is quoted and
// its quotes doubled; lines end in CRLF. Values are written as they are (no prefix against
// spreadsheet formulas), so the export parses back to exactly what the inventory holds.

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
