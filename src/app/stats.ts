// The figures the dashboard's overview shows: fleet totals by state and what expires when.

import {
  certificatesByStatus,
  countValidExpiring,
  devicesByStatus,
  validExpiringPerDay,
} from '../store/repos/stats.ts';
import type { Context } from './context.ts';

const DAY_MS = 86_400_000;

const after = (now: Date, days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();

export async function fleetSummary(ctx: Context, now = new Date()) {
  const at = now.toISOString();
  const [devices, certificates, expired, within7, within30, within90] = await Promise.all([
    devicesByStatus(ctx.db),
    certificatesByStatus(ctx.db),
    countValidExpiring(ctx.db, null, at),
    countValidExpiring(ctx.db, at, after(now, 7)),
    countValidExpiring(ctx.db, at, after(now, 30)),
    countValidExpiring(ctx.db, at, after(now, 90)),
  ]);
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    generatedAt: at,
    devices: { ...devices, total: total(devices) },
    certificates: { ...certificates, total: total(certificates) },
    // "expired" counts certificates still marked valid whose notAfter has passed: devices that
    // did not renew in time, the first thing to look at.
    validCertificatesExpiring: { expired, within7Days: within7, within30Days: within30, within90Days: within90 },
  };
}

/**
 * Valid certificates expiring on each of `days` UTC days, today first; days without any are
 * listed with 0 so a chart needs no gaps filled. Today counts from now, not from midnight:
 * what expired this morning is already in the summary's "expired".
 */
export async function expiryTimeline(ctx: Context, days: number, now = new Date()) {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const end = new Date(midnight + days * DAY_MS).toISOString();
  const counted = new Map((await validExpiringPerDay(ctx.db, now.toISOString(), end)).map((r) => [r.day, r.count]));
  const items = Array.from({ length: days }, (_, i) => {
    const date = new Date(midnight + i * DAY_MS).toISOString().slice(0, 10);
    return { date, count: counted.get(date) ?? 0 };
  });
  return { from: now.toISOString(), to: end, days, total: items.reduce((sum, item) => sum + item.count, 0), items };
}
