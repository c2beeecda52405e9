// Certificates made by the real openssl command for discovery tests, and Node TLS servers on
// 127.0.0.1 presenting them. Nothing here uses fleetpki's own encoder, except the "good"
// endpoint, whose certificate fleetpki issues through its normal path from an openssl CSR.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';

let counter = 0;

export function openssl(args: string[], cwd?: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Made {
  cert: string;
  key: string;
  /** PEM text of the certificate. */
  pem: string;
}

const stem = (dir: string, name: string) => join(dir, `${name}-${++counter}`);
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** openssl req -x509: self-signed, with basicConstraints CA:TRUE as OpenSSL 3's default config puts it. */
export function selfSigned(dir: string, name: string, extra: string[] = ecKey, days = 365): Made {
  const s = stem(dir, name);
  openssl(['req', '-x509', ...extra, '-nodes', '-keyout', `${s}.key`, '-out', `${s}.pem`, '-days', String(days), '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { cert: `${s}.pem`, key: `${s}.key`, pem: readFileSync(`${s}.pem`, 'utf8') };
}

/** A CA for tests (self-signed, CA:TRUE, keyCertSign). */
export function testCa(dir: string, subject: string): Made {
  const s = stem(dir, 'ca');
  openssl(['req', '-x509', ...ecKey, '-nodes', '-keyout', `${s}.key`, '-out', `${s}.pem`, '-days', '3650', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert: `${s}.pem`, key: `${s}.key`, pem: readFileSync(`${s}.pem`, 'utf8') };
}

/** An intermediate CA signed by `ca` (CA:TRUE, keyCertSign), as a public CA's issuing CA would be. */
export function intermediateFrom(dir: string, ca: Made, subject: string): Made {
  const s = stem(dir, 'intermediate');
  openssl(['req', '-new', ...ecKey, '-nodes', '-keyout', `${s}.key`, '-out', `${s}.csr`, '-subj', subject]);
  writeFileSync(`${s}.ext`, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  openssl(['x509', '-req', '-in', `${s}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', `${s}.pem`, '-days', '3650', '-extfile', `${s}.ext`, '-sha256']);
  return { cert: `${s}.pem`, key: `${s}.key`, pem: readFileSync(`${s}.pem`, 'utf8') };
}

/** A leaf signed by `ca` with `openssl x509 -req`; `key` reuses an existing key file. */
export function leafFrom(dir: string, ca: Made, name: string, options: { key?: string; days?: number } = {}): Made {
  const s = stem(dir, name);
  const key = options.key ?? `${s}.key`;
  const keyArgs = options.key ? ['-key', options.key] : [...ecKey, '-nodes', '-keyout', key];
  openssl(['req', '-new', ...keyArgs, '-out', `${s}.csr`, '-subj', `/CN=${name}`]);
  const ext = `${s}.ext`;
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', `${s}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', `${s}.pem`, '-days', String(options.days ?? 365), '-extfile', ext, '-sha256']);
  return { cert: `${s}.pem`, key, pem: readFileSync(`${s}.pem`, 'utf8') };
}

/** A leaf valid only in January 2020, through `openssl ca` (OpenSSL 3.0 has no -not_after on req/x509). */
export function expiredLeaf(dir: string, ca: Made, name: string): Made {
  const s = stem(dir, name);
  const db = `${s}-db`;
  mkdirSync(db);
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), '1000\n');
  writeFileSync(`${s}.cnf`, `[ca]\ndefault_ca=t\n[t]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[ext]\nbasicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n`);
  openssl(['req', '-new', ...ecKey, '-nodes', '-keyout', `${s}.key`, '-out', `${s}.csr`, '-subj', `/CN=${name}`]);
  openssl(['ca', '-batch', '-config', `${s}.cnf`, '-cert', ca.cert, '-keyfile', ca.key, '-in', `${s}.csr`, '-out', `${s}.pem`, '-notext', '-extensions', 'ext', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  return { cert: `${s}.pem`, key: `${s}.key`, pem: readFileSync(`${s}.pem`, 'utf8') };
}

export function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** What openssl says the certificate's SHA-256 fingerprint is, lower-case hex without colons. */
export function fingerprint(pem: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem, encoding: 'utf8' });
  return out.split('=')[1].trim().replace(/:/g, '').toLowerCase();
}

export interface Endpoint {
  location: string;
  server: Server;
}

/** A TLS server on 127.0.0.1 presenting `chainPem` (leaf first); security level 0 so RSA-1024 and SHA-1 load. */
export function serve(keyPem: string, chainPem: string): Promise<Endpoint> {
  const server = createServer({ key: keyPem, cert: chainPem, ciphers: 'DEFAULT:@SECLEVEL=0' }, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ location: `127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

/** A port nothing listens on: bound by a plain TCP server, then released. */
export async function closedPort(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

export function closeAll(endpoints: Endpoint[]): Promise<unknown> {
  return Promise.all(endpoints.map((e) => new Promise((resolve) => e.server.close(resolve))));
}
