// Issuance throughput: ECDSA P-256 certificates per second through the core (CSR parse and
// proof-of-possession check, RA, lint, sign, group-committed ledger) and through the REST
// API, each printed beside the raw crypto.sign rate of the same key type measured in the
// same run. Bounded: every phase stops at a count or after a few seconds.

import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { issueFromCsr } from '../src/app/certificates.ts';
import { closeContext, openContext } from '../src/app/context.ts';
import { createDevice } from '../src/app/devices.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { makeP256Csrs } from './csr.ts';
import { format, measure, type Rate } from './measure.ts';

const CONCURRENCY = 32;
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MAX_OPS = Number(process.env.BENCH_MAX_OPS ?? 50_000);

async function rawSignRate(): Promise<{ sync: Rate; pool: Rate }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = Buffer.alloc(600, 7);
  const syncRate = await measure(async () => sign('sha256', tbs, privateKey), { concurrency: 1, maxOps: MAX_OPS * 4, maxSeconds: MAX_SECONDS });
  const poolRate = await measure(
    () => new Promise((resolve, reject) => sign('sha256', tbs, privateKey, (e, s) => (e ? reject(e) : resolve(s)))),
    { concurrency: CONCURRENCY, maxOps: MAX_OPS * 4, maxSeconds: MAX_SECONDS },
  );
  return { sync: syncRate, pool: poolRate };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-'));
  const config = loadConfig({ dataDir: dir, listen: '127.0.0.1:0', logLevel: 'silent' }, { ...process.env, FLEETPKI_SCRYPT_LOG2N: '14' });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  await initialize(ctx);
  const devices = await Promise.all(
    Array.from({ length: 64 }, (_, i) => createDevice(ctx, { externalSerial: `BENCH-${i}`, deviceClass: 'sensor', environment: 'production' }, 'bench')),
  );
  const csrs = makeP256Csrs(256);
  const issue = (i: number) => issueFromCsr(ctx, { csr: csrs[i % csrs.length], profile: 'sensor', deviceId: devices[i % devices.length].id }, 'bench');
  await measure(issue, { concurrency: CONCURRENCY, maxOps: 500, maxSeconds: 2 }); // warm up JIT and caches

  // BENCH_ONLY=core runs the core phase alone (for --cpu-prof).
  const only = process.env.BENCH_ONLY;
  const raw = only === 'core' ? null : await rawSignRate();
  const core = await measure(issue, { concurrency: CONCURRENCY, maxOps: MAX_OPS, maxSeconds: MAX_SECONDS });
  const rest = only === 'core' ? null : await restRate(ctx, devices.map((d) => d.id), csrs);
  if (!raw) {
    console.log(`core issueFromCsr ${format(core)}`);
    return closeContext(ctx);
  }

  const limit = Math.max(raw.sync.perSecond, raw.pool.perSecond);
  console.log(`fleetpki issuance benchmark (ECDSA P-256, SQLite at ${config.db}, concurrency ${CONCURRENCY}, ${MAX_SECONDS} s per phase)`);
  console.log(`  raw crypto.sign, one thread      ${format(raw.sync)}`);
  console.log(`  raw crypto.sign, thread pool     ${format(raw.pool)}`);
  console.log(`  core issueFromCsr                ${format(core)}   ratio to raw ${(core.perSecond / limit).toFixed(2)}`);
  if (rest) console.log(`  REST POST /api/v1/certificates   ${format(rest)}   ratio to raw ${(rest.perSecond / limit).toFixed(2)}`);
  console.log(`  group commit: ${ctx.ledger.items} writes in ${ctx.ledger.batches} transactions`);
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}

async function restRate(ctx: Awaited<ReturnType<typeof openContext>>, deviceIds: string[], csrs: Buffer[]): Promise<Rate | null> {
  const { startServer } = await import('../src/api/server.ts').catch(() => ({ startServer: null }));
  if (!startServer) return null;
  const { readFileSync } = await import('node:fs');
  const token = readFileSync(join(ctx.config.dataDir, 'admin-token'), 'utf8').trim();
  const server = await startServer(ctx);
  const bodies = csrs.map((csr) => csr.toString('base64'));
  const post = async (i: number) => {
    const response = await fetch(`${server.url}/api/v1/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csr: bodies[i % bodies.length], profile: 'sensor', deviceId: deviceIds[i % deviceIds.length] }),
    });
    if (response.status !== 201) throw new Error(`issuance failed: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  await measure(post, { concurrency: CONCURRENCY, maxOps: 300, maxSeconds: 2 });
  const rate = await measure(post, { concurrency: CONCURRENCY, maxOps: MAX_OPS, maxSeconds: MAX_SECONDS });
  await server.close();
  return rate;
}

await main();
