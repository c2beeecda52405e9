// Lifecycle test fixtures: a clock the test walks, a fleet whose lifecycle settings come from
// a real configuration file, short-lived certificates issued from openssl CSRs, and a webhook
// receiver on 127.0.0.1 that checks every signature itself with node:crypto, the way the
// receiver snippet in docs/lifecycle.md does.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import { putProfile } from '../../src/app/profiles.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

export interface TestClock {
  clock: () => Date;
  set(at: Date | string | number): void;
  advance(ms: number): void;
  now(): Date;
}

export function testClock(start: Date | number = Date.now()): TestClock {
  let t = new Date(start).getTime();
  return {
    clock: () => new Date(t),
    set: (at) => void (t = new Date(at).getTime()),
    advance: (ms) => void (t += ms),
    now: () => new Date(t),
  };
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef';

/** A fleet whose configuration file carries `lifecycle` (and anything else given). */
export async function openLifecycleFleet(settings: Record<string, unknown>, extra: { db?: string } = {}): Promise<TestFleet & { configDir: string }> {
  const configDir = mkdtempSync(join(tmpdir(), 'fleetpki-lc-config-'));
  const secretFile = join(configDir, 'webhook-secret');
  writeFileSync(secretFile, `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
  const lifecycle = JSON.parse(JSON.stringify(settings).replaceAll('"SECRET_FILE"', JSON.stringify(secretFile)));
  const file = join(configDir, 'fleetpki.json');
  writeFileSync(file, JSON.stringify({ lifecycle }));
  const fleet = await openTestFleet({ config: file, ...extra });
  return {
    ...fleet,
    configDir,
    async close() {
      await fleet.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** A profile whose certificates live `validity` (e.g. "60s") and are due at half of it. */
export async function shortProfile(fleet: TestFleet, name: string, validity: string, renewAfter = 0.5): Promise<void> {
  await putProfile(
    fleet.ctx,
    { name, ca: 'devices-production', keys: { allowed: ['ec-p256'] }, validity, renewAfter, subject: { O: 'fleetpki', CN: '{{device.id}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] },
    'test',
  );
}

let serial = 0;

export async function device(fleet: TestFleet, label = 'dev'): Promise<string> {
  const row = await createDevice(fleet.ctx, { externalSerial: `${label}-${process.pid}-${++serial}`, deviceClass: 'sensor', environment: 'production' }, 'test');
  return row.id;
}

export async function issue(fleet: TestFleet, deviceId: string, profile: string, replaces?: string): Promise<CertificatesTable> {
  const csr = opensslCsr(fleet.dir);
  return issueFromCsr(fleet.ctx, { csr: csr.pem, profile, deviceId, replaces }, 'test');
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** The HMAC over "<timestamp>.<body>" matched, and the timestamp was fresh by the receiver's clock. */
  verified: boolean;
  status: number;
}

/** The receiver's own check, written with node:crypto only. */
export function receiverVerifies(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds: number): boolean {
  const timestamp = String(headers['x-fleetpki-timestamp'] ?? '');
  const signature = String(headers['x-fleetpki-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** `status(n)` answers the n-th request (1-based); `now` is the receiver's clock for freshness. */
export async function startReceiver(now: () => Date, status: (n: number) => number = () => 204): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = receiverVerifies(WEBHOOK_SECRET, request.headers, body, Math.floor(now().getTime() / 1000));
      const code = verified ? status(received.length + 1) : 401;
      received.push({ headers: request.headers, body, json: JSON.parse(body), verified, status: code });
      response.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/fleetpki`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
