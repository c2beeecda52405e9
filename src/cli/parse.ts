// Parsers for option values, used as commander argParsers so a bad value is a usage error
// (exit 2) naming the option, before any database is opened.

import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../ra/duration.ts';
import { MAX_PAGE_LIMIT } from '../store/repos/page.ts';

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

export function pageLimit(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_PAGE_LIMIT) throw new InvalidArgumentError(`at most ${MAX_PAGE_LIMIT}.`);
  return n;
}

/** "2026-01-31", "2026-01-31T12:00:00Z" -> ISO 8601 UTC, the form timestamps are stored in. */
function isoInstant(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** An instant, absolute (ISO 8601) or relative to now ("30d", "12h"): "expiring within 30 days". */
export function instant(value: string): string {
  const iso = isoInstant(value);
  if (iso) return iso;
  try {
    return new Date(Date.now() + parseDuration(value) * 1000).toISOString();
  } catch {
    throw new InvalidArgumentError('expected an ISO 8601 date/time (2026-12-31T00:00:00Z) or a duration from now (30d, 12h, 1y).');
  }
}

/** Repeatable k=v; an empty value (k=) asks for the key to be removed. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError(`expected key=value, got "${value}".`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
