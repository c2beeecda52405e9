// An EST server on a free port over a fresh fleet, and the independent client RFC 7030's
// examples use: openssl builds requests and reads answers, curl speaks HTTPS. Both run as
// child processes without blocking, since the server lives in this process.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createBootstrapToken } from '../../src/app/bootstrap-tokens.ts';
import { createDevice } from '../../src/app/devices.ts';
import { startEstServer, type EstServer } from '../../src/est/server.ts';
import type { DevicesTable } from '../../src/store/schema.ts';
import { openTestFleet, writeChainFiles, type TestFleet } from '../helpers/context.ts';

const run = promisify(execFile);

export interface EstFleet extends TestFleet {
  est: EstServer;
  /** https://127.0.0.1:<port>/.well-known/est */
  url: string;
  chain: { root: string; intermediate: string };
  file(name: string): string;
}

export async function openEstFleet(): Promise<EstFleet> {
  const fleet = await openTestFleet({ estListen: '127.0.0.1:0' });
  const est = await startEstServer(fleet.ctx);
  const chain = await writeChainFiles(fleet);
  return {
    ...fleet,
    est,
    url: est.url,
    chain,
    file: (name) => join(fleet.dir, name),
    async close() {
      await est.close();
      await fleet.close();
    },
  };
}

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface DeviceOptions {
  deviceClass?: string;
  /** Profiles serve environments: lab-sensor only lab devices. */
  environment?: string;
  manufacturer?: string | null;
}

export function device(fleet: TestFleet, serial = unique('SN'), options: DeviceOptions = {}): Promise<DevicesTable> {
  const { deviceClass = 'sensor', environment = 'production', manufacturer = null } = options;
  return createDevice(fleet.ctx, { externalSerial: serial, deviceClass, environment, manufacturer }, 'test');
}

export async function token(fleet: TestFleet, deviceId: string, profile = 'sensor', expiresInMs = 3600_000): Promise<string> {
  return (await createBootstrapToken(fleet.ctx, deviceId, profile, new Date(Date.now() + expiresInMs), 'test')).token;
}

export async function openssl(args: string[], input?: string | Buffer): Promise<string> {
  const child = run('openssl', args, { encoding: 'buffer', maxBuffer: 1 << 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  const { stdout } = await child;
  return stdout.toString('utf8');
}

/** An EC P-256 key (or `newKey`) and a CSR for it made by `openssl req`, written as base64 DER the way RFC 7030 sends it. */
export async function opensslCsr(fleet: EstFleet, subject = '/CN=device', extra: string[] = [], newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']): Promise<{ b64File: string; keyFile: string; derFile: string }> {
  const stem = fleet.file(unique('req'));
  await run('openssl', ['req', '-new', ...newKey, '-nodes', '-keyout', `${stem}.key`, '-subj', subject, '-outform', 'DER', '-out', `${stem}.der`, ...extra]);
  await run('openssl', ['base64', '-in', `${stem}.der`, '-out', `${stem}.b64`]);
  return { b64File: `${stem}.b64`, keyFile: `${stem}.key`, derFile: `${stem}.der` };
}

export interface CurlResult {
  status: number;
  headers: string;
  body: string;
}

/** curl against the EST server, trusting only fleetpki's root; `args` adds auth, body and headers. */
export async function curl(fleet: EstFleet, path: string, args: string[] = []): Promise<CurlResult> {
  const headerFile = fleet.file(unique('headers'));
  const { stdout } = await run('curl', ['-sS', '--cacert', fleet.chain.root, '-D', headerFile, '-w', '\n%{http_code}', ...args, `${fleet.url}${path}`], { maxBuffer: 1 << 20 });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), headers: readFileSync(headerFile, 'utf8'), body: stdout.slice(0, cut) };
}

/** POST a base64 CSR file with Content-Type application/pkcs10, as RFC 7030 4.2.1 does. */
export function postCsr(fleet: EstFleet, path: string, b64File: string, auth: string[] = []): Promise<CurlResult> {
  return curl(fleet, path, ['-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64File}`, ...auth]);
}

/** The PEM certificates of a certs-only body, decoded as RFC 7030's examples do: `openssl base64 -d | openssl pkcs7 -inform DER -print_certs`. */
export async function printCerts(body: string): Promise<string> {
  const child = run('sh', ['-c', 'openssl base64 -d | openssl pkcs7 -inform DER -print_certs'], { maxBuffer: 1 << 20 });
  child.child.stdin!.end(body);
  return (await child).stdout;
}

export function writeText(fleet: EstFleet, name: string, text: string): string {
  const path = fleet.file(name);
  writeFileSync(path, text);
  return path;
}

export const countCertificates = async (fleet: TestFleet): Promise<number> =>
  Number((await fleet.ctx.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

export interface Manufacturer {
  caCert: string;
  caKey: string;
  /** An IDevID (802.1AR birth certificate) with the serial in the subject serialNumber; `chainFile` holds leaf + intermediates for curl --cert. */
  idevid(serial: string | null, options?: { intermediate?: boolean; expired?: boolean }): Promise<{ certFile: string; keyFile: string; chainFile: string }>;
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
const LEAF_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

async function signWith(fleet: EstFleet, csrFile: string, ca: { cert: string; key: string }, ext: string, out: string): Promise<void> {
  const extFile = writeText(fleet, unique('ext'), ext);
  await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '3650', '-extfile', extFile, '-out', out]);
}

/** As signWith, valid through 2020 only: `openssl ca` is the openssl command that takes explicit dates. */
async function signExpired(fleet: EstFleet, csrFile: string, ca: { cert: string; key: string }, ext: string, out: string): Promise<void> {
  const stem = fleet.file(unique('openssl-ca'));
  writeFileSync(`${stem}.index`, '');
  writeFileSync(`${stem}.serial`, `${randomBytes(8).toString('hex')}\n`);
  const config = `[ca]\ndefault_ca = c\n[c]\ndatabase = ${stem}.index\nnew_certs_dir = ${fleet.file('')}\nserial = ${stem}.serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\norganizationName = optional\ncommonName = optional\nserialNumber = optional\n`;
  const configFile = writeText(fleet, `${unique('ca')}.cnf`, config);
  const extFile = writeText(fleet, unique('ext'), ext);
  await run('openssl', ['ca', '-batch', '-config', configFile, '-in', csrFile, '-out', out, '-cert', ca.cert, '-keyfile', ca.key, '-startdate', '20200101000000Z', '-enddate', '20201231235959Z', '-extfile', extFile, '-notext', '-preserveDN']);
}

/** A manufacturer's CA made with openssl, as a factory would have it; nothing of fleetpki is involved. */
export async function makeManufacturer(fleet: EstFleet, name = unique('acme')): Promise<Manufacturer> {
  const stem = fleet.file(name);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${stem}-ca.key`, '-out', `${stem}-ca.pem`, '-days', '3650', '-subj', `/O=${name}/CN=${name} IDevID Root CA`, '-extensions', 'v3_ca', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const ca = { cert: `${stem}-ca.pem`, key: `${stem}-ca.key` };
  return {
    caCert: ca.cert,
    caKey: ca.key,
    async idevid(serial, options = {}) {
      const leaf = fleet.file(unique('idevid'));
      let issuer = ca;
      let chainExtra = '';
      if (options.intermediate) {
        const mid = fleet.file(unique('mid'));
        await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${mid}.key`, '-out', `${mid}.csr`, '-subj', `/O=${name}/CN=${name} IDevID Issuing CA`]);
        await signWith(fleet, `${mid}.csr`, ca, CA_EXT, `${mid}.pem`);
        issuer = { cert: `${mid}.pem`, key: `${mid}.key` };
        chainExtra = readFileSync(`${mid}.pem`, 'utf8');
      }
      const subject = serial === null ? `/O=${name}/CN=sensor` : `/O=${name}/CN=sensor/serialNumber=${serial}`;
      await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', subject]);
      await (options.expired ? signExpired : signWith)(fleet, `${leaf}.csr`, issuer, LEAF_EXT, `${leaf}.pem`);
      writeFileSync(`${leaf}-chain.pem`, readFileSync(`${leaf}.pem`, 'utf8') + chainExtra);
      return { certFile: `${leaf}.pem`, keyFile: `${leaf}.key`, chainFile: `${leaf}-chain.pem` };
    },
  };
}

/** Audit events of an actor, oldest first. */
export async function auditOf(fleet: TestFleet, actor: string): Promise<Array<{ action: string; outcome: string; details: Record<string, unknown> }>> {
  const rows = await fleet.ctx.db.selectFrom('audit_events').select(['action', 'outcome', 'details']).where('actor', '=', actor).orderBy('seq').execute();
  return rows.map((r) => ({ action: r.action, outcome: r.outcome, details: JSON.parse(r.details) }));
}

/** An EST POST from this process (node:https), for races that curl processes cannot start close enough together. */
export async function httpsPost(fleet: EstFleet, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  const url = new URL(`${fleet.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: readFileSync(fleet.chain.root), agent: false, headers: { 'content-type': 'application/pkcs10', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
