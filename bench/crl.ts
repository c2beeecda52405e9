// CRL generation at fleet scale: 10k, 100k and 1M revoked certificates of one issuing CA,
// inserted straight into a temp SQLite store, then the full CRL, every partition, and what
// one revocation costs (full CRL + one partition, as the scheduler does) are timed and sized.
// The limit printed beside them is measured in the same run: reading the same rows from
// SQLite plus hashing and signing a buffer of the CRL's size, i.e. what any CRL issuer must do.
// Bounded: BENCH_CRL_SIZES (default 10000,100000,1000000) caps the rows.

import { randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../src/app/context.ts';
import { initialize } from '../src/app/init.ts';
import type { Issuer } from '../src/ca/issuer.ts';
import { loadConfig } from '../src/config/load.ts';
import { crlService } from '../src/revocation/crl-service.ts';
import { partitionOf } from '../src/revocation/partition.ts';

const SIZES = (process.env.BENCH_CRL_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const DAY = 86_400_000;
const REASONS = ['keyCompromise', 'cessationOfOperation', 'superseded', 'affiliationChanged', null];

/** Rows as issuance would have left them, then revoked: notAfter spread over the next 13 months. */
function insertRevoked(path: string, issuerId: string, from: number, to: number, now: number): void {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA busy_timeout = 5000');
  const insert = db.prepare(`insert into certificates (id, issuer_id, serial_hex, subject, sans, key_type, spki_sha256, fingerprint_sha256, not_before, not_after, renew_after, status, revocation_reason, revoked_at, profile, device_id, replaces_id, der, created_at)
    values (?, ?, ?, 'CN=bench', '[]', 'ec-p256', ?, ?, ?, ?, ?, ?, ?, ?, 'sensor', null, null, x'30', ?)`);
  db.exec('begin');
  for (let i = from; i < to; i++) {
    const serial = randomBytes(16);
    serial[0] &= 0x7f;
    const hex = serial.toString('hex');
    const notAfter = new Date(now + 1 * DAY + Math.floor(Math.random() * 395 * DAY)).toISOString();
    const revokedAt = new Date(now - Math.floor(Math.random() * 30 * DAY)).toISOString();
    const held = i % 50 === 0;
    insert.run(`bench-${String(i).padStart(8, '0')}`, issuerId, hex, hex, hex, revokedAt, notAfter, notAfter, held ? 'on_hold' : 'revoked', held ? 'certificateHold' : REASONS[i % REASONS.length], revokedAt, revokedAt);
  }
  db.exec('commit');
  db.close();
}

async function time<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, (performance.now() - start) / 1000];
}

/** What any CRL issuer pays: read the rows (node:sqlite, no query builder), hash and sign that many bytes. */
async function floor(ctx: Context, path: string, issuer: Issuer, bytes: number): Promise<number> {
  const db = new DatabaseSync(path, { readOnly: true });
  const [, read] = await time(async () => {
    let n = 0;
    const rows = db.prepare("select serial_hex, revoked_at, revocation_reason, status from certificates where status in ('revoked', 'on_hold') and issuer_id = ?").iterate(issuer.row.id);
    for (const row of rows) n += (row.serial_hex as string).length;
    return n;
  });
  db.close();
  const key = issuer.signer(ctx.passphrase);
  const [, signing] = await time(() => key.sign(Buffer.alloc(bytes, 1)));
  return read + signing;
}

/** Every partition holding a revocation, straight from SQL. */
function partitionsIn(path: string, issuerId: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  const sql = "select distinct substr(not_after, 1, 4) || substr(not_after, 6, 2) || '-' || substr(serial_hex, length(serial_hex), 1) as p from certificates where issuer_id = ? and status in ('revoked', 'on_hold')";
  const partitions = db.prepare(sql).all(issuerId).map((row) => row.p as string);
  db.close();
  return partitions;
}

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const kb = (n: number) => `${(n / 1e3).toFixed(1)} kB`;
const s = (n: number) => `${n.toFixed(3)} s`;

async function measureSize(ctx: Context, path: string, issuer: Issuer, size: number, sampleId: string): Promise<void> {
  const service = crlService(ctx);
  const [[full], fullTime] = await time(() => service.regenerate(issuer, { full: true, partitions: [] }));
  const limit = await floor(ctx, path, issuer, full.der.length);
  const partitions = partitionsIn(path, issuer.row.id);
  const [rows, partsTime] = await time(() => service.regenerate(issuer, { full: false, partitions }));
  const sizes = rows.map((r) => r.der.length).sort((a, b) => a - b);
  const [, oneTime] = await time(() => service.afterRevocation(issuer.row.id, [sampleId]));
  const sample = await ctx.db.selectFrom('certificates').select(['not_after', 'serial_hex']).where('id', '=', sampleId).executeTakeFirstOrThrow();
  const [, partTime] = await time(() => service.regenerate(issuer, { full: false, partitions: [partitionOf(sample.not_after, sample.serial_hex)] }));
  const heap = process.memoryUsage().rss;
  console.log(`${String(size).padStart(9)} revoked | full CRL ${mb(full.der.length).padStart(9)} in ${s(fullTime)} (floor ${s(limit)}, ratio ${(fullTime / limit).toFixed(2)})`);
  console.log(`          | ${rows.length} partitions in ${s(partsTime)}: median ${kb(sizes[sizes.length >> 1])}, largest ${kb(sizes[sizes.length - 1])}`);
  console.log(`          | one revocation (full + its partition) ${s(oneTime)}; its partition alone ${s(partTime)}; rss ${mb(heap)}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-crl-'));
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, { ...process.env, FLEETPKI_SCRYPT_LOG2N: '12' });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  try {
    await initialize(ctx);
    const issuer = await ctx.cas.byName('devices-production');
    console.log(`fleetpki CRL benchmark (ECDSA P-256 CA, SQLite at ${config.db}, notAfter spread over 13 months, 16 shards a month)`);
    let inserted = 0;
    for (const size of SIZES) {
      const path = config.db.slice('sqlite:'.length);
      const [, insertTime] = await time(async () => insertRevoked(path, issuer.row.id, inserted, size, Date.now()));
      console.log(`          | inserted ${size - inserted} rows in ${s(insertTime)}`);
      inserted = size;
      await measureSize(ctx, path, issuer, size, `bench-${String(size - 1).padStart(8, '0')}`);
    }
  } finally {
    await closeContext(ctx);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
