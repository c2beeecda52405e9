// Reports at fleet scale: a million certificates and 300,000 devices (bench/generate-fleet.ts)
// on SQLite, and on PostgreSQL when FLEETPKI_TEST_PG_URL or --pg <url> names one (in a fresh
// schema, dropped after). Each phase prints its median time and peak memory beside the limit
// measured in the same run on the same engine: one read of every certificate row (as in
// bench/dashboard.ts), the least a report that fetched rows to count or rank them would cost.
//
//   npm run bench:scale [-- --pg postgres://user@host/db]
//   BENCH_SCALE_CERTS=200000 BENCH_SCALE_DEVICES=60000 npm run bench:scale   (smaller, faster)

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../src/app/context.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { complianceReport } from '../src/reporting/compliance.ts';
import { exportChunks } from '../src/reporting/export-format.ts';
import { inventoryCounts } from '../src/reporting/inventory-counts.ts';
import { IssuanceCounter } from '../src/reporting/issuance-counter.ts';
import { riskPolicyOf, riskReport } from '../src/reporting/risk.ts';
import { expiryJob } from '../src/lifecycle/jobs/expiry.ts';
import type { Job } from '../src/lifecycle/jobs/job.ts';
import { orphansJob } from '../src/lifecycle/jobs/orphans.ts';
import { renewalDueJob, renewalFailedJob } from '../src/lifecycle/jobs/renewal.ts';
import { driftJob } from '../src/lifecycle/jobs/drift.ts';
import { runJob } from '../src/lifecycle/runner.ts';
import { createLifecycle } from '../src/lifecycle/service.ts';
import { countCertificates, searchCertificates, type CertificateFilter } from '../src/store/repos/certificates.ts';
import { generateFleet } from './generate-fleet.ts';
import { phase, type PhaseResult } from './peak-memory.ts';

const CERTIFICATES = Number(process.env.BENCH_SCALE_CERTS ?? 1_000_000);
const DEVICES = Number(process.env.BENCH_SCALE_DEVICES ?? 300_000);
const RUNS = 3;
const DAY = 86_400_000;

interface Target {
  name: 'sqlite' | 'postgres';
  db?: string;
  cleanup(): Promise<void>;
}

function pgUrl(): string | undefined {
  const flag = process.argv.indexOf('--pg');
  return flag > 0 ? process.argv[flag + 1] : process.env.FLEETPKI_TEST_PG_URL;
}

async function postgresTarget(base: string): Promise<Target> {
  const schema = `bench_scale_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  const drop = async () => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  };
  return { name: 'postgres', db: url.toString(), cleanup: drop };
}

async function open(target: Target, dir: string): Promise<Context> {
  const config = loadConfig({ dataDir: dir, db: target.db, logLevel: 'silent' }, { FLEETPKI_SCRYPT_LOG2N: '12' });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  await initialize(ctx);
  return ctx;
}

/** A large page cache for the load only (random-key index inserts), then the store's default again; PostgreSQL gets its statistics as after any bulk import. */
async function load(ctx: Context, now: Date): Promise<number> {
  const issuer = (await ctx.cas.byName('devices-production')).row.id;
  const sqlite = ctx.store.engine === 'sqlite';
  if (sqlite) await sql`pragma cache_size = -262144`.execute(ctx.db);
  const start = performance.now();
  await generateFleet(ctx.db, {
    devices: DEVICES,
    certificates: CERTIFICATES,
    issuerIds: [issuer],
    now,
    onProgress: (table, n) => n % 200_000 === 0 && process.stderr.write(`  ${table} ${n.toLocaleString('en')}\n`),
  });
  if (sqlite) await sql`pragma cache_size = -2000`.execute(ctx.db);
  else await sql`analyze`.execute(ctx.db);
  return (performance.now() - start) / 1000;
}

async function expiryScan(ctx: Context, now: Date): Promise<void> {
  const filter: CertificateFilter = { status: 'valid', expiringAfter: now.toISOString(), expiringBefore: new Date(now.getTime() + 30 * DAY).toISOString() };
  await countCertificates(ctx.db, filter);
  await searchCertificates(ctx.db, filter, { limit: 50 });
}

async function riskCursorFor(ctx: Context, pageNumber: number): Promise<string | undefined> {
  let after: string | undefined;
  for (let i = 1; i < pageNumber; i++) after = (await riskReport(ctx.db, ctx.store.engine, riskPolicyOf(ctx.config), { limit: 50, after })).nextCursor ?? undefined;
  return after;
}

async function exportAll(ctx: Context): Promise<number> {
  let bytes = 0;
  for await (const chunk of exportChunks(ctx.db, 'certificates', 'csv')) bytes += chunk.length;
  return bytes;
}

type Row = [name: string, result: PhaseResult, extra?: string];

function line(name: string, r: PhaseResult, limitMs: number, extra = ''): string {
  const ratio = (r.ms / limitMs).toFixed(1);
  return `  ${name.padEnd(40)} ${r.ms.toFixed(1).padStart(9)} ms  ${ratio.padStart(7)}x  rss +${r.rssGrowthMb.toFixed(0).padStart(4)} MB (peak ${r.rssMb.toFixed(0).padStart(5)})  heap ${r.heapMb.toFixed(0).padStart(4)} MB${extra}`;
}

/**
 * The scheduled lifecycle jobs over the whole ledger, as `serve` runs them. The first pass
 * opens an alert per finding (many writes); the second finds the same and writes nothing
 * new (deduplicated), the steady state of a scheduler running every hour. Run after the
 * reports: the orphan policy may revoke, which changes the fleet.
 */
async function lifecyclePhases(ctx: Context): Promise<Row[]> {
  const lc = createLifecycle(ctx);
  const jobs: Job[] = [expiryJob, renewalDueJob, renewalFailedJob, orphansJob, driftJob];
  const rows: Row[] = [];
  for (const job of jobs) {
    let counts = '';
    const first = await phase(async () => {
      const result = await runJob(lc, job, 'manual');
      if (!result.ran || result.outcome !== 'success') throw new Error(`lifecycle job ${job.name} did not succeed: ${JSON.stringify(result)}`);
      counts = Object.entries(result.counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ');
    });
    rows.push([`job ${job.name}, first run`, first, `  (${counts})`]);
    rows.push([`job ${job.name}, next run`, await phase(() => runJob(lc, job, 'manual'))]);
  }
  return rows;
}

async function measure(ctx: Context, loadSeconds: number): Promise<void> {
  const now = new Date();
  const policy = riskPolicyOf(ctx.config);
  const limit = await phase(() => sql`select sum(length(der)) from certificates`.execute(ctx.db), RUNS);
  const page5 = await riskCursorFor(ctx, 5);
  let exported = 0;
  const rows: Row[] = [
    ['limit: read every certificate row', limit],
    ['expiry scan: count within 30 d + page 1', await phase(() => expiryScan(ctx, now), RUNS)],
    ['risk report, page 1 (50)', await phase(() => riskReport(ctx.db, ctx.store.engine, policy, { limit: 50 }), RUNS)],
    ['risk report, page 5 (50)', await phase(() => riskReport(ctx.db, ctx.store.engine, policy, { limit: 50, after: page5 }), RUNS)],
    ['metrics: inventory counts + issuance', await phase(async () => [await inventoryCounts(ctx.db), await new IssuanceCounter().update(ctx.db)], RUNS)],
    ['compliance summary', await phase(() => complianceReport(ctx.db, ctx.store.engine))],
    ['export certificates.csv (all rows)', await phase(async () => (exported = await exportAll(ctx)))],
    ...(await lifecyclePhases(ctx)),
  ];
  console.log(`${ctx.store.engine}: ${CERTIFICATES.toLocaleString('en')} certificates, ${DEVICES.toLocaleString('en')} devices, generated in ${loadSeconds.toFixed(0)} s`);
  console.log(`  ${'phase'.padEnd(40)} ${'median'.padStart(12)}  ${'ratio'.padStart(8)}  memory: peak RSS above the phase's start (peak RSS), peak heap`);
  for (const [name, result, extra] of rows) console.log(line(name, result, limit.ms, extra));
  console.log(`  export wrote ${(exported / 1024 / 1024).toFixed(0)} MB of CSV`);
}

async function run(target: Target): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-scale-'));
  let ctx: Context | undefined;
  try {
    ctx = await open(target, dir);
    const seconds = await load(ctx, new Date());
    await measure(ctx, seconds);
  } finally {
    if (ctx) await closeContext(ctx);
    await target.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`fleetpki scale benchmark (Node ${process.version}, median of ${RUNS} runs where repeated; ratio = time / one read of every certificate row on the same engine)`);
  await run({ name: 'sqlite', cleanup: async () => {} });
  const url = pgUrl();
  if (url) await run(await postgresTarget(url));
  else console.log('postgres: skipped (set FLEETPKI_TEST_PG_URL or pass --pg <url>)');
}

await main();
