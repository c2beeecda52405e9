// What the dashboard asks of the API with a million certificates: the overview's aggregates,
// filtered certificate pages (first and deep, by keyset cursor), device search and a device's
// history, each timed through the real Fastify routes (inject, no sockets). The limit beside
// them is measured in the same run: one read of every certificate row, which is what any
// endpoint that fetched rows to count or filter them would at least cost.
// BENCH_DASHBOARD_CERTS (default 1000000) sets the size; devices are half as many.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { buildApi } from '../src/api/server.ts';
import { closeContext, openContext } from '../src/app/context.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { newId } from '../src/ids.ts';

const CERTIFICATES = Number(process.env.BENCH_DASHBOARD_CERTS ?? 1_000_000);
const DEVICES = Math.ceil(CERTIFICATES / 2);
const DAY = 86_400_000;
const RUNS = 5;
const CLASSES = ['sensor', 'gateway', 'meter', 'camera'];
const SITES = ['plant-north', 'plant-south', 'warehouse-3', 'substation-a'];

/**
 * Each device has its current certificate and the one it replaced (revoked, superseded);
 * notAfter of current ones spread over the next 13 months, a few already past. Rows of
 * realistic size: 480 bytes of DER each.
 */
function seed(path: string, issuerId: string, now: number): string[] {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA busy_timeout = 5000');
  const device = db.prepare(`insert into devices (id, external_serial, model, device_class, environment, site, owner, criticality, status, metadata, created_at, updated_at)
    values (?, ?, 'M-1', ?, 'production', ?, ?, 'medium', 'active', '{}', ?, ?)`);
  const certificate = db.prepare(`insert into certificates (id, issuer_id, serial_hex, subject, sans, key_type, spki_sha256, fingerprint_sha256, not_before, not_after, renew_after, status, revocation_reason, revoked_at, profile, device_id, replaces_id, der, created_at)
    values (?, ?, ?, ?, ?, 'ec-p256', ?, ?, ?, ?, ?, ?, ?, ?, 'sensor', ?, ?, ?, ?)`);
  const der = randomBytes(480);
  const ids: string[] = [];
  const created = new Date(now - 400 * DAY).toISOString();
  db.exec('begin');
  for (let d = 0; d < DEVICES; d++) {
    const id = newId(now - 400 * DAY + d);
    ids.push(id);
    device.run(id, `SN-${String(d).padStart(8, '0')}`, CLASSES[d % 4], SITES[d % 4], `team-${d % 40}`, created, created);
    const old = newId(now - 300 * DAY + d);
    for (const [certId, current] of [[old, false], [newId(now - 20 * DAY + d), true]] as const) {
      const serial = randomBytes(16).toString('hex');
      const notAfter = current ? new Date(now - 5 * DAY + ((d * 7919) % (400 * 24)) * 3_600_000).toISOString() : new Date(now - 10 * DAY).toISOString();
      certificate.run(certId, issuerId, serial, `O=fleet, CN=${id}`, `["uri:urn:fleetpki:device:${id}"]`, serial, serial, created, notAfter, notAfter,
        current ? 'valid' : 'revoked', current ? null : 'superseded', current ? null : created, id, current ? old : null, der, created);
    }
    if (d % 50_000 === 49_999) {
      db.exec('commit');
      db.exec('begin');
    }
  }
  db.exec('commit');
  db.exec('analyze');
  db.close();
  return ids;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(run: () => Promise<unknown>): Promise<number> {
  await run(); // warm: the first call pays for compiling the route's serialiser
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-dashboard-'));
const config = loadConfig({ dataDir: dir }, { FLEETPKI_SCRYPT_LOG2N: '12' });
const ctx = await openContext(config, { log: pino({ level: 'silent' }), env: {} });
try {
  await initialize(ctx);
  const token = (await import('node:fs')).readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  const issuer = await ctx.cas.byName('devices-production');
  const now = Date.now();
  const started = performance.now();
  const devices = seed(config.db.slice('sqlite:'.length), issuer.row.id, now);
  console.log(`seeded ${CERTIFICATES.toLocaleString('en-US')} certificates and ${DEVICES.toLocaleString('en-US')} devices in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const app = await buildApi(ctx);
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
  const scan = await time(async () => ctx.db.selectFrom('certificates').select((eb) => eb.fn.sum<number>(eb.fn('length', ['der'])).as('n')).executeTakeFirst());
  const middle = devices[Math.floor(devices.length / 2)];
  const week = new Date(now + 7 * DAY).toISOString();
  const cases: Array<[string, string]> = [
    ['overview: summary', '/api/v1/stats/summary'],
    ['overview: expiry timeline, 90 days', '/api/v1/stats/expiry-timeline?days=90'],
    ['certificates: valid, first page of 50', '/api/v1/certificates?status=valid&limit=50'],
    ['certificates: expiring within 7 days', `/api/v1/certificates?status=valid&expiringAfter=${new Date(now).toISOString()}&expiringBefore=${week}&limit=50`],
    ['certificates: expiring within 90 days', `/api/v1/certificates?status=valid&expiringAfter=${new Date(now).toISOString()}&expiringBefore=${new Date(now + 90 * DAY).toISOString()}&limit=50`],
    ['certificates: page at the middle (cursor)', `/api/v1/certificates?limit=50&after=${middle}`],
    ['devices: first page of 50', '/api/v1/devices?limit=50'],
    ['devices: search by serial substring', `/api/v1/devices?q=SN-0042424&limit=50`],
    ['device page: its certificates', `/api/v1/devices/${middle}/certificates`],
    ['audit log: first page', '/api/v1/audit?limit=50'],
  ];
  console.log(`\nlimit: one read of every certificate row ${scan.toFixed(1)} ms (median of ${RUNS})\n`);
  console.log(`${'request'.padEnd(46)} ${'median ms'.padStart(10)} ${'of limit'.padStart(9)}`);
  for (const [name, url] of cases) {
    const ms = await time(() => get(url));
    console.log(`${name.padEnd(46)} ${ms.toFixed(1).padStart(10)} ${`${((ms / scan) * 100).toFixed(1)} %`.padStart(9)}`);
  }
  await app.close();
} finally {
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}
