// OCSP responses per second and p50/p99 latency: `fleetpki serve` (a process of its own, as
// operators run it) against `openssl ocsp` as a responder (-multi 2: two worker processes, one
// per core here) over the same certificates, signer key and requests, in the same run. The load
// is 32 concurrent keep-alive HTTP clients posting pre-built requests (made by `openssl ocsp
// -reqout`) on loopback; each phase stops at BENCH_MAX_OPS requests or BENCH_SECONDS, split
// into interleaved rounds.
//
// Phases: fleetpki pre-signed (no nonce: the RFC 5019 hot path), fleetpki with a nonce (signed
// on demand, like every openssl answer), and openssl. Ratios are fleetpki / openssl.

import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import pino from 'pino';
import { issueFromCsr, revokeCertificate } from '../src/app/certificates.ts';
import { closeContext, openContext, type Context } from '../src/app/context.ts';
import { createDevice } from '../src/app/devices.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { OcspResponder } from '../src/ocsp/responder.ts';
import { unsealPrivateKey } from '../src/signer/sealed-key.ts';
import { latestOcspSigner } from '../src/store/repos/ocsp-signers.ts';
import type { CertificatesTable } from '../src/store/schema.ts';
import { toPem } from '../src/x509/pem.ts';
import { makeP256Csrs } from './csr.ts';
import { format, measure, type Rate } from './measure.ts';

const CONCURRENCY = 32;
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MAX_OPS = Number(process.env.BENCH_MAX_OPS ?? 50_000);
/** Phases alternate in short rounds, so that a change in the machine's load hits every phase alike. */
const ROUNDS = 3;
const PHASE_SECONDS = MAX_SECONDS / ROUNDS;
const CERTIFICATES = 200;
const NONCE_REQUESTS = 50;
const ROOT = resolve(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const run = promisify(execFile);
const ENV = { ...process.env, FLEETPKI_SCRYPT_LOG2N: '14', FLEETPKI_LOG_LEVEL: 'warn' };

interface Prepared {
  certs: CertificatesTable[];
  files: { issuer: string; signerCert: string; signerKey: string; index: string; config: string };
}

/** openssl's index.txt: status, expiry, revocation time[,reason], serial, file, subject. */
function indexLine(cert: CertificatesTable): string {
  const yymmdd = (iso: string) => `${iso.slice(2, 19).replace(/[-T:]/g, '')}Z`;
  const revoked = cert.status === 'valid' ? '' : `${yymmdd(cert.revoked_at!)},${cert.revocation_reason}`;
  return [cert.status === 'valid' ? 'V' : 'R', yymmdd(cert.not_after), revoked, cert.serial_hex.toUpperCase(), 'unknown', `/CN=${cert.id}`].join('\t');
}

async function issueCertificates(ctx: Context): Promise<CertificatesTable[]> {
  const devices = await Promise.all(
    Array.from({ length: 50 }, (_, i) => createDevice(ctx, { externalSerial: `OCSP-BENCH-${i}`, deviceClass: 'sensor', environment: 'production' }, 'bench')),
  );
  const csrs = makeP256Csrs(CERTIFICATES);
  const certs = await Promise.all(csrs.map((csr, i) => issueFromCsr(ctx, { csr, profile: 'sensor', deviceId: devices[i % devices.length].id }, 'bench')));
  // One in ten revoked, so both servers answer revoked as well as good.
  for (let i = 0; i < certs.length; i += 10) certs[i] = await revokeCertificate(ctx, certs[i].id, 'keyCompromise', 'bench');
  return certs;
}

/** The fleet, and the same delegated signer's key and certificate for openssl to sign with. */
async function prepare(dir: string): Promise<Prepared> {
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, ENV);
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  await initialize(ctx);
  const certs = await issueCertificates(ctx);
  const responder = new OcspResponder(ctx);
  await responder.prepareSigners();
  await responder.close();
  const issuer = await ctx.cas.byName('devices-production');
  const signer = (await latestOcspSigner(ctx.db, issuer.row.id))!;
  const key = unsealPrivateKey(signer.encrypted_key, ctx.passphrase(), signer.id);
  const files = {
    issuer: join(dir, 'issuer.pem'),
    signerCert: join(dir, 'signer.pem'),
    signerKey: join(dir, 'signer.key'),
    index: join(dir, 'index.txt'),
    config: join(dir, 'fleetpki.json'),
  };
  writeFileSync(files.issuer, toPem(issuer.row.certificate_der, 'CERTIFICATE'));
  writeFileSync(files.signerCert, toPem(signer.certificate_der, 'CERTIFICATE'));
  writeFileSync(files.signerKey, key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(files.index, certs.map(indexLine).join('\n') + '\n');
  writeFileSync(files.config, JSON.stringify({ est: { enabled: false } }));
  await closeContext(ctx);
  return { certs, files };
}

async function opensslRequests(dir: string, issuer: string, certs: CertificatesTable[], nonce: boolean): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < certs.length; i += 8) {
    const batch = certs.slice(i, i + 8).map(async (cert, j) => {
      const file = join(dir, `req-${nonce ? 'n' : 'p'}-${i + j}.der`);
      await run('openssl', ['ocsp', '-issuer', issuer, '-serial', `0x${cert.serial_hex}`, ...(nonce ? [] : ['-no_nonce']), '-reqout', file]);
      return readFileSync(file);
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

/** `fleetpki serve` on a free port; resolves with its OCSP URL once the banner says so. */
function startFleetpki(dir: string, config: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(NODE, [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--data-dir', dir, '--config', config, '--listen', '127.0.0.1:0'], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`fleetpki serve did not start:\n${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /OCSP:\s+(http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        done({ url: match[1], child });
      }
    });
    child.on('exit', (code) => fail(new Error(`fleetpki serve exited ${code}:\n${stderr}`)));
  });
}

/** `openssl ocsp` as a responder; it leads a process group of its own, so that its workers stop with it. */
async function startOpenssl(files: Prepared['files'], probe: Buffer): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const args = ['ocsp', '-index', files.index, '-port', String(port), '-rsigner', files.signerCert, '-rkey', files.signerKey, '-CA', files.issuer, '-multi', '2', '-nmin', '60'];
  // Not `detached`: with -multi, openssl makes itself a process group leader, which fails in a new session.
  const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}/`;
  const answers = () => fetch(url, { method: 'POST', body: probe, signal: AbortSignal.timeout(1000) }).then((r) => r.ok, (e) => (stderr += `${e.cause ?? e}\n`, false));
  for (let i = 0; i < 100; i++) {
    if (await answers()) return { url, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`openssl ocsp did not answer:\n${stderr}`);
}

/** 32 keep-alive clients POSTing the requests round-robin; every answer must be a successful OCSP response. */
async function load(url: string, requests: Buffer[], maxOps = Math.ceil(MAX_OPS / ROUNDS)): Promise<Rate> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body: Buffer) =>
    new Promise<Buffer>((done, fail) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks)));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(body);
    });
  try {
    return await measure(
      async (i) => {
        const answer = await post(requests[i % requests.length]);
        // OCSPResponse ::= SEQUENCE { ENUMERATED 0 (successful), [0] ResponseBytes }: long-form length, then 0a 01 00.
        if (answer.length < 16 || answer.subarray(2, 16).indexOf(Buffer.from([0x0a, 0x01, 0x00])) < 0) throw new Error(`not a successful OCSP response: ${answer.subarray(0, 16).toString('hex')}`);
      },
      { concurrency: CONCURRENCY, maxOps, maxSeconds: PHASE_SECONDS },
    );
  } finally {
    agent.destroy();
  }
}

/** fleetpki drains on SIGTERM; openssl's -multi parent does not act on it, so its group gets SIGKILL. */
/** Rounds added up; latency is the median round's p50 and the worst round's p99. */
function combine(rates: Rate[]): Rate {
  const ops = rates.reduce((sum, r) => sum + r.ops, 0);
  const seconds = rates.reduce((sum, r) => sum + r.seconds, 0);
  const p50s = rates.map((r) => r.p50ms!).sort((a, b) => a - b);
  return { ops, seconds, perSecond: ops / seconds, p50ms: p50s[Math.floor(p50s.length / 2)], p99ms: Math.max(...rates.map((r) => r.p99ms!)) };
}

function stop(child: ChildProcess, group: boolean): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.on('exit', () => done());
    if (group) process.kill(-child.pid!, 'SIGKILL'); // the group openssl -multi leads: parent and workers
    else child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-ocsp-'));
  const children: Array<[ChildProcess, boolean]> = [];
  try {
    const { certs, files } = await prepare(dir);
    const plain = await opensslRequests(dir, files.issuer, certs, false);
    const withNonce = await opensslRequests(dir, files.issuer, certs.slice(0, NONCE_REQUESTS), true);
    const fleetpki = await startFleetpki(dir, files.config);
    children.push([fleetpki.child, false]);
    const openssl = await startOpenssl(files, plain[0]);
    children.push([openssl.child, true]);

    await load(fleetpki.url, plain, plain.length * 2); // first queries sign; the rest of the run is the pre-signed path
    await load(openssl.url, plain, 500); // warm-up
    const rounds: Record<'baseline' | 'preSigned' | 'nonce', Rate[]> = { baseline: [], preSigned: [], nonce: [] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.baseline.push(await load(openssl.url, plain));
      rounds.preSigned.push(await load(fleetpki.url, plain));
      rounds.nonce.push(await load(fleetpki.url, withNonce));
    }
    const [baseline, preSigned, nonce] = [combine(rounds.baseline), combine(rounds.preSigned), combine(rounds.nonce)];

    console.log(`OCSP responder benchmark (${certs.length} certificates, ECDSA P-256 signer, ${CONCURRENCY} concurrent keep-alive clients, loopback, ${ROUNDS} interleaved rounds of ≤${PHASE_SECONDS.toFixed(1)} s per phase)`);
    console.log(`  openssl ocsp -multi 2 (signs every answer)   ${format(baseline)}`);
    console.log(`  fleetpki serve, pre-signed (no nonce)        ${format(preSigned)}   ratio to openssl ${(preSigned.perSecond / baseline.perSecond).toFixed(2)}`);
    console.log(`  fleetpki serve, nonce (signed on demand)     ${format(nonce)}   ratio to openssl ${(nonce.perSecond / baseline.perSecond).toFixed(2)}`);
  } finally {
    for (const [child, group] of children) await stop(child, group);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
