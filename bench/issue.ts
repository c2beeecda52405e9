// Issuance throughput: ECDSA P-256 certificates per second through the core (CSR parse and
// proof-of-possession check, RA, lint, sign, group-committed ledger) and through the REST
// API, each printed beside the raw crypto.sign rate of the same key type measured in the
// same run. Every issuance also verifies the CSR's signature, and a P-256 verification
// costs about three signatures, so the bench measures raw verification too and prints the
// ceiling: what this machine's cores could issue if they did nothing but one sign and one
// verify per certificate. CPU time per operation (all threads of the process) shows where
// a phase stands against that ceiling. Bounded: every phase stops at a count or after a
// few seconds.

import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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

interface Measured extends Rate {
  /** Process CPU time (user + system, every thread) per operation. */
  cpuUs: number;
}

async function measureCpu(op: (i: number) => Promise<unknown>, options: { concurrency: number; maxOps: number; maxSeconds: number }): Promise<Measured> {
  const before = process.cpuUsage();
  const rate = await measure(op, options);
  const used = process.cpuUsage(before);
  return { ...rate, cpuUs: (used.user + used.system) / Math.max(1, rate.ops) };
}

interface Raw {
  signSync: Measured;
  signPool: Measured;
  verifySync: Measured;
  verifyPool: Measured;
}

/** crypto.sign and crypto.verify on P-256, on the main thread and in libuv's pool (every core). */
async function rawCryptoRates(): Promise<Raw> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = Buffer.alloc(600, 7);
  const signature = sign('sha256', tbs, privateKey);
  const bound = { concurrency: 1, maxOps: MAX_OPS * 4, maxSeconds: MAX_SECONDS };
  const pooled = { concurrency: CONCURRENCY, maxOps: MAX_OPS * 4, maxSeconds: MAX_SECONDS };
  const checked = (ok: boolean) => {
    if (!ok) throw new Error('raw verification failed');
  };
  return {
    signSync: await measureCpu(async () => sign('sha256', tbs, privateKey), bound),
    signPool: await measureCpu(() => new Promise((resolve, reject) => sign('sha256', tbs, privateKey, (e, s) => (e ? reject(e) : resolve(s)))), pooled),
    verifySync: await measureCpu(async () => checked(verify('sha256', tbs, publicKey, signature)), bound),
    verifyPool: await measureCpu(
      () => new Promise<void>((resolve, reject) => verify('sha256', tbs, publicKey, signature, (e, ok) => (e ? reject(e) : resolve(checked(ok))))),
      pooled,
    ),
  };
}

function line(label: string, rate: Measured, limit?: number): string {
  const ratio = limit === undefined ? '' : `   ratio to raw sign ${(rate.perSecond / limit).toFixed(2)}`;
  return `  ${label.padEnd(34)} ${format(rate)}  cpu ${rate.cpuUs.toFixed(0)} us/op${ratio}`;
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
  const raw = only === 'core' ? null : await rawCryptoRates();
  const core = await measureCpu(issue, { concurrency: CONCURRENCY, maxOps: MAX_OPS, maxSeconds: MAX_SECONDS });
  const rest = only === 'core' ? null : await restRate(ctx, devices.map((d) => d.id), csrs);
  if (!raw) {
    console.log(line('core issueFromCsr', core));
    await closeContext(ctx);
    return rmSync(dir, { recursive: true, force: true });
  }

  const limit = Math.max(raw.signSync.perSecond, raw.signPool.perSecond);
  const verifyLimit = Math.max(raw.verifySync.perSecond, raw.verifyPool.perSecond);
  // Every core doing one sign and one verify per certificate and nothing else.
  const ceiling = 1 / (1 / limit + 1 / verifyLimit);
  console.log(`fleetpki issuance benchmark (ECDSA P-256, SQLite at ${config.db}, concurrency ${CONCURRENCY}, ${MAX_SECONDS} s per phase, ${availableParallelism()} cores)`);
  console.log(line('raw crypto.sign, one thread', raw.signSync));
  console.log(line('raw crypto.sign, thread pool', raw.signPool));
  console.log(line('raw crypto.verify, one thread', raw.verifySync));
  console.log(line('raw crypto.verify, thread pool', raw.verifyPool));
  console.log(`  ceiling (1 sign + 1 verify per certificate, all cores) ${ceiling.toFixed(0)} /s   ratio to raw sign ${(ceiling / limit).toFixed(2)}`);
  console.log(line('core issueFromCsr', core, limit) + `   of ceiling ${(core.perSecond / ceiling).toFixed(2)}`);
  if (rest) console.log(line('REST POST /api/v1/certificates', rest, limit) + `   of ceiling ${(rest.perSecond / ceiling).toFixed(2)}`);
  console.log(`  group commit: ${ctx.ledger.items} writes in ${ctx.ledger.batches} transactions`);
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}

async function restRate(ctx: Awaited<ReturnType<typeof openContext>>, deviceIds: string[], csrs: Buffer[]): Promise<Measured | null> {
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
  const rate = await measureCpu(post, { concurrency: CONCURRENCY, maxOps: MAX_OPS, maxSeconds: MAX_SECONDS });
  await server.close();
  return rate;
}

await main();
