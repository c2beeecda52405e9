// The key of an issuing CA whose certificate is being signed offline waits here, sealed with
// the CA key passphrase like every CA key, in <dataDir>/pending-cas/<name>.json (0600 in a
// 0700 folder) until `fleetpki ca install` puts it in the store with its certificate. A file
// rather than a table: a pending CA is one operator's work in progress on one host, and it
// must never be mistaken for a usable CA by anything reading the store.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequest, Conflict, NotFound } from '../errors.ts';
import type { KeyType } from '../x509/keys.ts';

export interface PendingCa {
  v: 1;
  /** The CA's id once installed; the sealed key is bound to it. */
  id: string;
  name: string;
  keyType: KeyType;
  commonName: string;
  organization?: string;
  /** Base64 of the sealed key (src/signer/sealed-key.ts). */
  sealedKey: string;
  /** Base64 DER of the public key, to match the certificate that comes back. */
  spki: string;
  csrPem: string;
  createdAt: string;
}

export function pendingDir(dataDir: string): string {
  return join(dataDir, 'pending-cas');
}

function pendingPath(dataDir: string, name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(name)) throw new BadRequest(`"${name}" is not a CA name: lower case letters, digits and dashes`);
  return join(pendingDir(dataDir), `${name}.json`);
}

export function writePending(dataDir: string, pending: PendingCa): string {
  const path = pendingPath(dataDir, pending.name);
  mkdirSync(pendingDir(dataDir), { recursive: true, mode: 0o700 });
  chmodSync(pendingDir(dataDir), 0o700);
  if (existsSync(path)) throw new Conflict(`a request for CA ${pending.name} is already pending (${path}); install its certificate, or delete the file to start over`);
  writeFileSync(path, `${JSON.stringify(pending, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return path;
}

export function readPending(dataDir: string, name: string): PendingCa {
  const path = pendingPath(dataDir, name);
  if (!existsSync(path)) throw new NotFound(`no pending request for CA ${name} in ${pendingDir(dataDir)}: run \`fleetpki ca request --name ${name}\` on this instance first`);
  const pending = JSON.parse(readFileSync(path, 'utf8')) as PendingCa;
  if (pending.v !== 1 || pending.name !== name) throw new BadRequest(`${path} is not a pending CA request of this version`);
  return pending;
}

export function removePending(dataDir: string, name: string): void {
  rmSync(pendingPath(dataDir, name), { force: true });
}
