// A fleet with its EST server in this process, a test profile whose certificates live 20
// seconds, a manufacturer CA for birth certificates, and the real `fleetpki-agent` run as a
// child process against it, as it runs on a device.

import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBootstrapToken } from '../../src/app/bootstrap-tokens.ts';
import { createDevice } from '../../src/app/devices.ts';
import { putProfile } from '../../src/app/profiles.ts';
import { startEstServer, type EstServer } from '../../src/est/server.ts';
import { createManufacturerCa } from '../../src/factory/manufacturer-ca.ts';
import { issueIdevid } from '../../src/factory/idevid.ts';
import { SoftwareSigner } from '../../src/signer/software.ts';
import type { DevicesTable } from '../../src/store/schema.ts';
import { buildSignedCsr } from '../../src/x509/csr-build.ts';
import { encodeName } from '../../src/x509/name.ts';
import { toPem } from '../../src/x509/pem.ts';
import { openTestFleet, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { NODE, ROOT } from '../cli/run.ts';

export const PROFILE = 'agent-test';
export const MANUFACTURER = 'test-maker';
const AGENT = join(ROOT, 'src', 'agent', 'main.ts');

export interface AgentFleet extends TestFleet {
  est: EstServer;
  /** https://127.0.0.1:<port> */
  server: string;
  rootFile: string;
  /** Stops the EST server (the device sees a server that is down). */
  stopEst(): Promise<void>;
  /** Starts it again on the same port. */
  startEst(): Promise<void>;
}

export async function openAgentFleet(): Promise<AgentFleet> {
  const fleet = await openTestFleet({ estListen: '127.0.0.1:0' });
  await putProfile(
    fleet.ctx,
    { name: PROFILE, ca: 'devices-production', keys: { allowed: ['ec-p256', 'ec-p384'] }, validity: '20s', renewAfter: 0.5, subject: { O: 'fleetpki', CN: '{{device.id}}', serialNumber: '{{device.serial}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] },
    'test',
  );
  await createManufacturerCa(fleet.ctx, { name: MANUFACTURER, keyType: 'ec-p256', commonName: 'Test Maker IDevID CA', organization: 'Test Maker' }, 'test');
  let est = await startEstServer(fleet.ctx);
  const { port } = new URL(est.url);
  // Restarts must come back where the devices know the server to be.
  fleet.ctx.config.est.port = Number(port);
  const chain = await writeChainFiles(fleet);
  const result: AgentFleet = {
    ...fleet,
    est,
    server: new URL(est.url).origin,
    rootFile: chain.root,
    stopEst: () => est.close(),
    async startEst() {
      est = await startEstServer(fleet.ctx);
      result.est = est;
    },
    async close() {
      await est.close();
      await fleet.close();
    },
  };
  return result;
}

export interface Provisioned {
  device: DevicesTable;
  token: string;
  idevidCert: string;
  idevidKey: string;
  stateDir: string;
}

/** A registered device with a bootstrap token and a birth certificate (files as a factory would leave them). */
export async function provision(fleet: AgentFleet, serial: string): Promise<Provisioned> {
  const device = await createDevice(fleet.ctx, { externalSerial: serial, deviceClass: 'sensor', environment: 'production' }, 'test');
  const { token } = await createBootstrapToken(fleet.ctx, device.id, PROFILE, new Date(Date.now() + 3600_000), 'test');
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = await buildSignedCsr(encodeName([['CN', serial]]), new SoftwareSigner(key.privateKey));
  const idevid = await issueIdevid(fleet.ctx, { ca: MANUFACTURER, serial, csr }, 'test');
  const idevidCert = join(fleet.dir, `${serial}-idevid.pem`);
  const idevidKey = join(fleet.dir, `${serial}-idevid.key`);
  writeFileSync(idevidCert, toPem(idevid.der, 'CERTIFICATE'));
  writeFileSync(idevidKey, key.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { device, token, idevidCert, idevidKey, stateDir: join(fleet.dir, `${serial}-state`) };
}

export interface AgentResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `fleetpki-agent` command, to completion. */
export function agent(args: string[]): Promise<AgentResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Daemon {
  lines: LogLine[];
  /**
   * Resolves with the next matching log line after the one the previous wait matched (lines
   * that came in meanwhile count), or rejects after timeoutMs.
   */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  stop(): Promise<number | null>;
}

/** `fleetpki-agent run` in the background, its JSON log lines collected. */
export function daemon(args: string[]): Daemon {
  const child: ChildProcess = spawn(NODE, [AGENT, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  let cursor = 0;
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.on('data', (chunk) => {
    buffer += chunk;
    for (let cut = buffer.indexOf('\n'); cut >= 0; cut = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, cut)) as LogLine;
      buffer = buffer.slice(cut + 1);
      lines.push(line);
      const waiter = waiters.find((w) => w.match(line));
      if (waiter) {
        waiters.splice(waiters.indexOf(waiter), 1);
        cursor = lines.length;
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    lines,
    waitFor(match, timeoutMs) {
      const seen = lines.findIndex((line, i) => i >= cursor && match(line));
      if (seen >= 0) {
        cursor = seen + 1;
        return Promise.resolve(lines[seen]);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching agent log line within ${timeoutMs} ms; log so far:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`)), timeoutMs);
        waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      });
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
