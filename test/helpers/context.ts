// Shared test fixtures: a fresh fleetpki (temp data dir, SQLite unless a URL is given) and
// CSRs made by the real openssl command, so tests never trust fleetpki's own encoder alone.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeContext, openContext, type Context } from '../../src/app/context.ts';
import { initialize } from '../../src/app/init.ts';
import { loadConfig, type ConfigOverrides } from '../../src/config/load.ts';
import { listCas } from '../../src/store/repos/cas.ts';
import { toPem } from '../../src/x509/pem.ts';
import pino from 'pino';

export interface TestFleet {
  ctx: Context;
  dir: string;
  adminToken: string;
  close(): Promise<void>;
}

/** A migrated, initialised fleetpki in a temp dir; scrypt cost lowered so tests stay fast. */
export async function openTestFleet(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = {}): Promise<TestFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-test-'));
  const config = loadConfig({ dataDir: dir, ...overrides }, { FLEETPKI_SCRYPT_LOG2N: '12', ...env });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }), env });
  await initialize(ctx);
  const adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  return {
    ctx,
    dir,
    adminToken,
    async close() {
      await closeContext(ctx);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type CsrKey = 'ec-p256' | 'ec-p384' | 'ed25519' | `rsa-${number}`;

function keyArgs(key: CsrKey): string[] {
  if (key === 'ec-p256') return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  if (key === 'ec-p384') return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
  if (key === 'ed25519') return ['-newkey', 'ed25519'];
  return ['-newkey', `rsa:${key.slice(4)}`];
}

/** A CSR made by `openssl req`; `sans` like ["DNS:a.example", "IP:127.0.0.1"]. Returns PEM and the key file path. */
export function opensslCsr(dir: string, key: CsrKey = 'ec-p256', options: { subject?: string; sans?: string[] } = {}): { pem: string; keyFile: string } {
  const stem = join(dir, `csr-${Math.random().toString(36).slice(2)}`);
  const args = ['req', '-new', ...keyArgs(key), '-nodes', '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', options.subject ?? '/CN=device'];
  if (options.sans?.length) args.push('-addext', `subjectAltName=${options.sans.join(',')}`);
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return { pem: readFileSync(`${stem}.csr`, 'utf8'), keyFile: `${stem}.key` };
}

/** Writes the root and issuing CA certificates as PEM files for `openssl verify`. */
export async function writeChainFiles(fleet: TestFleet, issuingCa = 'devices-production'): Promise<{ root: string; intermediate: string }> {
  const cas = await listCas(fleet.ctx.db);
  const issuing = cas.find((c) => c.name === issuingCa)!;
  const root = cas.find((c) => c.id === issuing.parent_id)!;
  const files = { root: join(fleet.dir, `${root.name}.pem`), intermediate: join(fleet.dir, `${issuing.name}.pem`) };
  writeFileSync(files.root, toPem(root.certificate_der, 'CERTIFICATE'));
  writeFileSync(files.intermediate, toPem(issuing.certificate_der, 'CERTIFICATE'));
  return files;
}

/** Runs `openssl verify` for a certificate against the fleet's chain; returns its output, throws on failure. */
export function opensslVerify(chain: { root: string; intermediate: string }, certPem: string, dir: string, extra: string[] = []): string {
  const file = join(dir, `verify-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, certPem);
  return execFileSync('openssl', ['verify', ...extra, '-CAfile', chain.root, '-untrusted', chain.intermediate, file], { encoding: 'utf8' });
}

export function opensslText(certPem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem, encoding: 'utf8' });
}
