// What /metrics reports about the inventory, each count one index range or one grouped pass
// over a small index: certificates by state and by time to expiry, devices by status, active
// lifecycle alerts, recent job runs, open discovery findings.

import type { Kysely } from 'kysely';
import { JOB_NAMES } from '../lifecycle/jobs/job.ts';
import type { Database } from '../store/schema.ts';
import { DAY_SECONDS, isoPlus } from './sql-time.ts';

export const EXPIRY_WINDOWS_DAYS = [1, 7, 30] as const;
const JOB_WINDOW_SECONDS = DAY_SECONDS;

export interface Labelled {
  labels: Record<string, string>;
  value: number;
}

export interface InventoryCounts {
  /** valid (unexpired), expired (still valid, past notAfter), on_hold, revoked. */
  certificates: Labelled[];
  /** Valid certificates expiring within each window (cumulative: 7d includes 1d). */
  expiring: Labelled[];
  devices: Labelled[];
  alerts: Labelled[];
  jobRuns: Labelled[];
  jobLastSuccess: Labelled[];
  findings: Labelled[];
}

const n = (v: unknown) => Number(v ?? 0);

async function certificateStates(db: Kysely<Database>, now: Date): Promise<Labelled[]> {
  const rows = await db.selectFrom('certificates').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status').execute();
  const byStatus: Record<string, number> = { valid: 0, on_hold: 0, revoked: 0 };
  for (const row of rows) byStatus[row.status] = n(row.n);
  const expired = await db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'valid')
    .where('not_after', '<=', now.toISOString())
    .executeTakeFirstOrThrow();
  const states = { valid: byStatus.valid - n(expired.n), expired: n(expired.n), on_hold: byStatus.on_hold, revoked: byStatus.revoked };
  return Object.entries(states).map(([state, value]) => ({ labels: { state }, value }));
}

async function expiring(db: Kysely<Database>, now: Date): Promise<Labelled[]> {
  const out: Labelled[] = [];
  for (const days of EXPIRY_WINDOWS_DAYS) {
    const row = await db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'valid')
      .where('not_after', '>', now.toISOString())
      .where('not_after', '<=', isoPlus(now, days * DAY_SECONDS))
      .executeTakeFirstOrThrow();
    out.push({ labels: { within: `${days}d` }, value: n(row.n) });
  }
  return out;
}

async function devices(db: Kysely<Database>): Promise<Labelled[]> {
  const rows = await db.selectFrom('devices').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status').execute();
  const byStatus: Record<string, number> = { registered: 0, active: 0, suspended: 0, decommissioned: 0 };
  for (const row of rows) byStatus[row.status] = n(row.n);
  return Object.entries(byStatus).map(([status, value]) => ({ labels: { status }, value }));
}

/** Open or acknowledged: a lifecycle alert that has not cleared (renewal-failed, orphan, expired...). */
async function activeAlerts(db: Kysely<Database>): Promise<Labelled[]> {
  const rows = await db
    .selectFrom('alerts')
    .select((eb) => ['kind', 'severity', eb.fn.countAll().as('n')])
    .where('state', 'in', ['open', 'acknowledged'])
    .groupBy(['kind', 'severity'])
    .execute();
  return rows.map((r) => ({ labels: { kind: r.kind, severity: r.severity }, value: n(r.n) }));
}

/** Runs started in the last day, per job and outcome: one (job, started_at) range per job. */
async function jobRuns(db: Kysely<Database>, now: Date): Promise<Labelled[]> {
  const since = isoPlus(now, -JOB_WINDOW_SECONDS);
  const out: Labelled[] = [];
  for (const job of JOB_NAMES) {
    const rows = await db
      .selectFrom('job_runs')
      .select((eb) => ['outcome', eb.fn.countAll().as('n')])
      .where('job', '=', job)
      .where('started_at', '>=', since)
      .groupBy('outcome')
      .execute();
    for (const r of rows) out.push({ labels: { job, outcome: r.outcome }, value: n(r.n) });
  }
  return out;
}

async function jobLastSuccess(db: Kysely<Database>): Promise<Labelled[]> {
  const out: Labelled[] = [];
  for (const job of JOB_NAMES) {
    const row = await db
      .selectFrom('job_runs')
      .select('started_at')
      .where('job', '=', job)
      .where('outcome', '=', 'success')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) out.push({ labels: { job }, value: Date.parse(row.started_at) / 1000 });
  }
  return out;
}

async function openFindings(db: Kysely<Database>): Promise<Labelled[]> {
  const rows = await db
    .selectFrom('discovery_findings')
    .select((eb) => ['kind', 'severity', eb.fn.countAll().as('n')])
    .where('status', '=', 'open')
    .groupBy(['kind', 'severity'])
    .execute();
  return rows.map((r) => ({ labels: { kind: r.kind, severity: r.severity }, value: n(r.n) }));
}

export async function inventoryCounts(db: Kysely<Database>, now = new Date()): Promise<InventoryCounts> {
  return {
    certificates: await certificateStates(db, now),
    expiring: await expiring(db, now),
    devices: await devices(db),
    alerts: await activeAlerts(db),
    jobRuns: await jobRuns(db, now),
    jobLastSuccess: await jobLastSuccess(db),
    findings: await openFindings(db),
  };
}

