// EST simpleenroll throughput over TLS: certificates per second and latency through the whole
// front end (HTTPS with keep-alive, base64 PKCS#10 in, bootstrap-token authorisation, the
// token marked used in the recording transaction, certs-only CMS out), beside the raw
// crypto.sign P-256 rate measured in the same run. A second phase renews with the current
// certificate as TLS client certificate (simplereenroll). Bounded: each phase stops at a
// count or after a few seconds; loopback only.

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../src/app/context.ts';
import { createDevice } from '../src/app/devices.ts';
import { initialize } from '../src/app/init.ts';
import { enroll } from '../src/app/enrollment.ts';
import { hashToken } from '../src/app/tokens.ts';
import { loadConfig } from '../src/config/load.ts';
import { startEstServer } from '../src/est/server.ts';
import { newId } from '../src/ids.ts';
import { listCas } from '../src/store/repos/cas.ts';
import type { BootstrapTokensTable } from '../src/store/schema.ts';
import { toPem } from '../src/x509/pem.ts';
import { makeCsr } from './csr.ts';
import { format, measure, type Rate } from './measure.ts';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MAX_OPS = Number(process.env.BENCH_MAX_OPS ?? 15_000);
const WARMUP = 500;

async function rawSignRates(): Promise<{ sync: Rate; pool: Rate }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = Buffer.alloc(600, 7);
  const sync = await measure(async () => sign('sha256', tbs, privateKey), { concurrency: 1, maxOps: 400_000, maxSeconds: MAX_SECONDS });
  const pool = await measure(
    () => new Promise((resolve, reject) => sign('sha256', tbs, privateKey, (e, s) => (e ? reject(e) : resolve(s)))),
    { concurrency: CONCURRENCY, maxOps: 400_000, maxSeconds: MAX_SECONDS },
  );
  return { sync, pool };
}

/** One-time tokens written straight to the store: setup, not measured. */
async function makeTokens(ctx: Context, deviceIds: string[], count: number): Promise<string[]> {
  const secrets: string[] = [];
  const rows: BootstrapTokensTable[] = [];
  const now = new Date();
  for (let i = 0; i < count; i++) {
    const secret = `fpb_${randomBytes(32).toString('base64url')}`;
    secrets.push(secret);
    rows.push({ id: newId(), token_hash: hashToken(secret), device_id: deviceIds[i % deviceIds.length], profile: 'sensor', expires_at: new Date(now.getTime() + 3600_000).toISOString(), used_at: null, created_at: now.toISOString() });
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto('bootstrap_tokens').values(rows.slice(i, i + 500)).execute();
  });
  return secrets;
}

function post(agent: Agent, url: string, body: string, authorization?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/pkcs10', 'content-length': String(Buffer.byteLength(body)) };
    if (authorization) headers.authorization = authorization;
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function report(raw: { sync: Rate; pool: Rate }, enrol: Rate, reenrol: Rate): void {
  const limit = Math.max(raw.sync.perSecond, raw.pool.perSecond);
  console.log(`fleetpki EST benchmark (ECDSA P-256, SQLite, TLS 1.3 keep-alive, concurrency ${CONCURRENCY}, ${MAX_SECONDS} s per phase)`);
  console.log(`  raw crypto.sign, one thread          ${format(raw.sync)}`);
  console.log(`  raw crypto.sign, thread pool         ${format(raw.pool)}`);
  console.log(`  EST simpleenroll (bootstrap token)   ${format(enrol)}   ratio to raw ${(enrol.perSecond / limit).toFixed(3)}`);
  console.log(`  EST simplereenroll (client cert)     ${format(reenrol)}   ratio to raw ${(reenrol.perSecond / limit).toFixed(3)}`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-est-'));
  const config = loadConfig({ dataDir: dir, listen: '127.0.0.1:0', estListen: '127.0.0.1:0', logLevel: 'silent' }, { ...process.env, FLEETPKI_SCRYPT_LOG2N: '14' });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  await initialize(ctx);
  const devices = await Promise.all(Array.from({ length: 64 }, (_, i) => createDevice(ctx, { externalSerial: `BENCH-${i}`, deviceClass: 'sensor', environment: 'production' }, 'bench')));
  // CSR n names device n % 64, the device of token n (the RA holds a CSR's CN to the token's device).
  const csrs = Array.from({ length: 256 }, (_, i) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return makeCsr(privateKey, publicKey, devices[i % devices.length].external_serial).toString('base64');
  });
  const secrets = await makeTokens(ctx, devices.map((d) => d.id), WARMUP + MAX_OPS);
  const server = await startEstServer(ctx);
  const root = (await listCas(ctx.db)).find((ca) => ca.kind === 'root')!;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: toPem(root.certificate_der, 'CERTIFICATE') });
  let next = 0;
  const enrollOnce = () => {
    const n = next++;
    return post(agent, `${server.url}/sensor/simpleenroll`, csrs[n % csrs.length], `Basic ${Buffer.from(`bench:${secrets[n]}`).toString('base64')}`);
  };
  await measure(enrollOnce, { concurrency: CONCURRENCY, maxOps: WARMUP, maxSeconds: 3 }); // JIT, caches, TLS sessions

  // BENCH_ONLY=enroll measures simpleenroll alone (for --cpu-prof).
  const only = process.env.BENCH_ONLY === 'enroll';
  const raw = only ? null : await rawSignRates();
  const enrolRate = await measure(enrollOnce, { concurrency: CONCURRENCY, maxOps: secrets.length - next, maxSeconds: MAX_SECONDS });
  const reenrolRate = only ? null : await reenrollPhase(ctx, server.url, root.certificate_der);
  if (raw && reenrolRate) report(raw, enrolRate, reenrolRate);
  else console.log(`EST simpleenroll ${format(enrolRate)}`);
  console.log(`  group commit: ${ctx.ledger.items} writes in ${ctx.ledger.batches} transactions`);
  agent.destroy();
  await server.close();
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}

/** One device's current certificate as TLS client certificate on every connection; each request renews it. */
async function reenrollPhase(ctx: Context, url: string, rootDer: Buffer): Promise<Rate> {
  const device = await createDevice(ctx, { externalSerial: 'BENCH-RENEW', deviceClass: 'sensor', environment: 'production' }, 'bench');
  const [secret] = await makeTokens(ctx, [device.id], 1);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { buildCsr } = await import('../src/x509/csr-build.ts');
  const csr = buildCsr({ privateKey, publicKey }, { subject: [['CN', device.id]] });
  const current = await enroll(ctx, { operation: 'simpleenroll', label: 'sensor', credentials: { secret, clientChain: [] }, now: new Date() }, csr);
  const renewal = buildCsr({ privateKey, publicKey }, { subject: [['O', 'fleetpki'], ['OU', 'sensor'], ['CN', device.id]] }).toString('base64');
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: toPem(rootDer, 'CERTIFICATE'), cert: toPem(current.der, 'CERTIFICATE'), key: privateKey.export({ format: 'pem', type: 'pkcs8' }) });
  const renew = () => post(agent, `${url}/simplereenroll`, renewal);
  await measure(renew, { concurrency: CONCURRENCY, maxOps: WARMUP, maxSeconds: 3 });
  const rate = await measure(renew, { concurrency: CONCURRENCY, maxOps: MAX_OPS, maxSeconds: MAX_SECONDS });
  agent.destroy();
  return rate;
}

await main();
