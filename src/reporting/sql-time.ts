// Date arithmetic on the ISO text timestamps the store keeps. Comparisons need none (ISO
// text sorts as time), but "less than a tenth of the lifetime left" needs seconds, and the
// two engines spell that differently; this is the only engine-specific SQL in the reports.

import { sql, type RawBuilder } from 'kysely';
import type { Engine } from '../store/schema.ts';

/** Seconds since 1970 of an ISO timestamp expression, as a floating-point number. */
export function epochSeconds(engine: Engine, iso: RawBuilder<unknown>): RawBuilder<number> {
  if (engine === 'postgres') return sql<number>`extract(epoch from cast(${iso} as timestamptz))`;
  // julianday() reads ISO 8601 with milliseconds and a trailing Z; 2440587.5 is 1970-01-01.
  return sql<number>`((julianday(${iso}) - 2440587.5) * 86400.0)`;
}

/** ISO text of `from` plus `seconds` (negative for the past), as the store writes timestamps. */
export function isoPlus(from: Date, seconds: number): string {
  return new Date(from.getTime() + seconds * 1000).toISOString();
}

export const DAY_SECONDS = 86_400;
