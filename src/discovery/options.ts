// A run's options with their defaults and bounds, checked once where a run is started.

import { BadRequest } from '../errors.ts';

export interface RunOptions {
  /** A certificate expiring within this many days gets an "expiring" finding. */
  expiringWithinDays: number;
  /** Endpoints probed at once. */
  concurrency: number;
  /** Connect plus TLS handshake, per endpoint. */
  timeoutMs: number;
}

export const DEFAULT_OPTIONS: RunOptions = { expiringWithinDays: 30, concurrency: 16, timeoutMs: 5000 };
export const LIMITS = {
  expiringWithinDays: [0, 3650],
  concurrency: [1, 256],
  timeoutMs: [100, 120_000],
} as const;
/** One scan request; a larger fleet is scanned in several runs (or with a targets file per site). */
export const MAX_TARGETS = 4096;

export function runOptions(given: Partial<RunOptions>): RunOptions {
  const options = { ...DEFAULT_OPTIONS };
  for (const key of Object.keys(LIMITS) as (keyof RunOptions)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const [min, max] = LIMITS[key];
    if (!Number.isInteger(value) || value < min || value > max) throw new BadRequest(`${key} must be an integer from ${min} to ${max}`);
    options[key] = value;
  }
  return options;
}
