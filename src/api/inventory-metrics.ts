// Inventory gauges on /metrics, computed from the store when Prometheus scrapes, at most once
// per INVENTORY_TTL_MS whatever the scrape rate (src/reporting/cached.ts). The counts are
// index ranges or small grouped passes (src/reporting/inventory-counts.ts); issuance counts
// come from the audit log, incrementally (src/reporting/issuance-counter.ts); job runs of
// this process from the runner's own tally (src/lifecycle/run-tally.ts), read without the store.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Context } from '../app/context.ts';
import { runCounts } from '../lifecycle/run-tally.ts';
import { Cached } from '../reporting/cached.ts';
import { inventoryCounts, type InventoryCounts, type Labelled } from '../reporting/inventory-counts.ts';
import { IssuanceCounter } from '../reporting/issuance-counter.ts';

export const INVENTORY_TTL_MS = 15_000;

interface Snapshot {
  counts: InventoryCounts;
  issuance: Array<{ action: string; outcome: string; value: number }>;
}

/** A store that does not answer must not take the process metrics down with it: the gauges keep their last values. */
async function orLast<T>(pick: () => Promise<T>): Promise<T | undefined> {
  try {
    return await pick();
  } catch {
    return undefined;
  }
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], pick: () => Promise<Labelled[]>): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const values = await orLast(pick);
      if (!values) return;
      this.reset();
      for (const { labels, value } of values) this.set(labels, value);
    },
  });
}

export function registerInventoryMetrics(registry: Registry, ctx: Context, ttlMs = INVENTORY_TTL_MS): void {
  const issuance = new IssuanceCounter();
  const errors = new Counter({ name: 'fleetpki_inventory_metrics_errors_total', help: 'Inventory metric collections that failed (the store did not answer); the gauges kept their last values', registers: [registry] });
  const snapshot = new Cached<Snapshot>(async () => {
    try {
      return { counts: await inventoryCounts(ctx.db), issuance: await issuance.update(ctx.db) };
    } catch (error) {
      errors.inc();
      ctx.log.warn({ err: error }, 'inventory metrics not collected');
      throw error;
    }
  }, ttlMs);
  const counts = (key: keyof InventoryCounts) => async () => (await snapshot.get()).counts[key];
  gauge(registry, 'fleetpki_certificates', 'Certificates in the ledger by state: valid, expired (valid but past notAfter), on_hold, revoked', ['state'], counts('certificates'));
  gauge(registry, 'fleetpki_certificates_expiring', 'Valid certificates whose notAfter falls within the window from now (1d, 7d, 30d; cumulative)', ['within'], counts('expiring'));
  gauge(registry, 'fleetpki_devices', 'Devices by status', ['status'], counts('devices'));
  gauge(registry, 'fleetpki_alerts_active', 'Lifecycle alerts open or acknowledged, by kind and severity', ['kind', 'severity'], counts('alerts'));
  gauge(registry, 'fleetpki_job_runs_last_24h', 'Lifecycle job runs started in the last 24 hours, by job and outcome (success, error, abandoned, running)', ['job', 'outcome'], counts('jobRuns'));
  gauge(registry, 'fleetpki_job_last_success_timestamp_seconds', 'Start of the last successful run of each lifecycle job', ['job'], counts('jobLastSuccess'));
  gauge(registry, 'fleetpki_discovery_findings_open', 'Open discovery findings by kind and severity', ['kind', 'severity'], counts('findings'));
  new Counter({
    name: 'fleetpki_job_runs_total',
    help: 'Lifecycle job runs this process ran to an end since it started, by job and outcome (success, error); other instances count their own',
    labelNames: ['job', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { job, outcome, value } of runCounts(ctx)) this.inc({ job, outcome }, value);
    },
  });
  new Counter({
    name: 'fleetpki_issuance_decisions_total',
    help: 'Issuance decisions in the audit log, from every front end and process, by outcome (success, refused): certificate.issue (REST, EST, CLI), idevid.issue, and est.simpleenroll|simplereenroll|serverkeygen (EST requests the authoriser refused before any issuance)',
    labelNames: ['action', 'outcome'],
    registers: [registry],
    async collect() {
      const totals = await orLast(async () => (await snapshot.get()).issuance);
      if (!totals) return;
      this.reset();
      for (const { action, outcome, value } of totals) this.inc({ action, outcome }, value);
    },
  });
}
