// OCSP test fixtures: a fleet with a listening server, devices with certificates issued the
// normal way (openssl CSRs), and the real `openssl ocsp` client run asynchronously (a
// synchronous child process would block the very server it is talking to).

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type ApiOptions } from '../../src/api/server.ts';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { toPem } from '../../src/x509/pem.ts';
import { openTestFleet, opensslCsr, writeChainFiles, type TestFleet } from '../helpers/context.ts';

const run = promisify(execFile);

export interface OcspFleet {
  fleet: TestFleet;
  url: string;
  chain: { root: string; intermediate: string; bundle: string };
  close(): Promise<void>;
}

export async function openOcspFleet(options: ApiOptions = {}): Promise<OcspFleet> {
  const fleet = await openTestFleet({ listen: '127.0.0.1:0' });
  const files = await writeChainFiles(fleet);
  const bundle = join(fleet.dir, 'bundle.pem');
  writeFileSync(bundle, readFileSync(files.root, 'utf8') + readFileSync(files.intermediate, 'utf8'));
  const server = await startServer(fleet.ctx, options);
  return {
    fleet,
    url: `${server.url}/ocsp`,
    chain: { ...files, bundle },
    async close() {
      await server.close();
      await fleet.close();
    },
  };
}

let devices = 0;

/** A device certificate from the sensor profile (devices-production CA), written as PEM; returns its row and file. */
export async function deviceCertificate(fleet: TestFleet): Promise<{ row: CertificatesTable; file: string }> {
  const n = ++devices;
  const device = await createDevice(fleet.ctx, { externalSerial: `OCSP-${n}-${Date.now()}`, deviceClass: 'sensor', environment: 'production' }, 'test');
  const row = await issueFromCsr(fleet.ctx, { csr: opensslCsr(fleet.dir).pem, profile: 'sensor', deviceId: device.id }, 'test');
  const file = join(fleet.dir, `device-${n}.pem`);
  writeFileSync(file, toPem(row.der, 'CERTIFICATE'));
  return { row, file };
}

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, as a person reads them in a terminal. */
  text: string;
}

export function openssl(args: string[]): Promise<OpensslResult> {
  return command('openssl', args);
}

/** Any command (curl, openssl), asynchronously; never throws, the exit code is in the result. */
export async function command(name: string, args: string[]): Promise<OpensslResult> {
  try {
    const { stdout, stderr } = await run(name, args, { encoding: 'utf8' });
    return { code: 0, stdout, stderr, text: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', text: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** `openssl ocsp` against the fleet's responder, verifying with the root+issuing bundle. */
export function ocspQuery(o: OcspFleet, target: string[], extra: string[] = [], issuer = o.chain.intermediate): Promise<OpensslResult> {
  return openssl(['ocsp', '-issuer', issuer, ...target, '-url', o.url, '-CAfile', o.chain.bundle, ...extra]);
}

/** The raw answer to a POST, for the cases openssl's client cannot make. */
export async function post(o: OcspFleet, body: Uint8Array, headers: Record<string, string> = { 'content-type': 'application/ocsp-request' }): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(o.url, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** OCSPResponseStatus of a DER OCSPResponse: SEQUENCE { ENUMERATED status, ... }. */
export function responseStatus(der: Buffer): number {
  if (der[0] !== 0x30 || der[der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2] !== 0x0a) throw new Error(`not an OCSPResponse: ${der.subarray(0, 8).toString('hex')}`);
  const offset = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
  return der[offset + 2];
}

let files = 0;

/** A DER OCSP request made by `openssl ocsp -reqout`; `target` as for ocspQuery (-cert/-serial, digests, -issuer). */
export async function opensslRequest(o: OcspFleet, target: string[], extra: string[] = ['-no_nonce']): Promise<Buffer> {
  const file = join(o.fleet.dir, `request-${++files}.der`);
  const made = await openssl(['ocsp', '-issuer', o.chain.intermediate, ...target, ...extra, '-reqout', file]);
  if (made.code !== 0) throw new Error(`openssl could not make the request: ${made.text}`);
  return readFileSync(file);
}

/** What `openssl ocsp -respin` says about a response (statuses, "Response verify OK"). */
export async function opensslReads(o: OcspFleet, response: Buffer, target: string[], extra: string[] = []): Promise<OpensslResult> {
  const file = join(o.fleet.dir, `response-${++files}.der`);
  writeFileSync(file, response);
  return openssl(['ocsp', '-respin', file, '-issuer', o.chain.intermediate, ...target, '-CAfile', o.chain.bundle, ...extra]);
}
