// CRL test fixtures: a fleet with devices and certificates, and the openssl commands that
// judge fleetpki's CRLs independently (crl -text, verify -crl_check / -crl_check_all).

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import { issueIdevid } from '../../src/factory/idevid.ts';
import { createManufacturerCa } from '../../src/factory/manufacturer-ca.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { toPem } from '../../src/x509/pem.ts';
import type { TestFleet } from '../helpers/context.ts';
import { opensslCsr, opensslText } from '../helpers/context.ts';
import { extensionIn } from '../helpers/openssl.ts';

export interface Issued {
  row: CertificatesTable;
  pem: string;
  certFile: string;
  keyFile: string;
  deviceId: string;
}

/** A new device and a certificate for it, key and certificate written as files. */
export async function issueDevice(fleet: TestFleet, profile = 'sensor', options: { sans?: string[] } = {}): Promise<Issued> {
  const device = await createDevice(fleet.ctx, { externalSerial: `SN-${randomBytes(6).toString('hex')}`, deviceClass: 'sensor', environment: 'production' }, 'test');
  const csr = opensslCsr(fleet.dir, 'ec-p256', { sans: options.sans });
  const row = await issueFromCsr(fleet.ctx, { csr: csr.pem, profile, deviceId: device.id }, 'test');
  const pem = toPem(row.der, 'CERTIFICATE');
  const certFile = join(fleet.dir, `cert-${row.id}.pem`);
  writeFileSync(certFile, pem);
  return { row, pem, certFile, keyFile: csr.keyFile, deviceId: device.id };
}

/** A manufacturer CA fleetpki holds (as `fleetpki manufacturer create-ca` makes it); returns its certificate file. */
export async function makeManufacturerCa(fleet: TestFleet, name = 'acme-factory'): Promise<string> {
  const { ca } = await createManufacturerCa(fleet.ctx, { name, keyType: 'ec-p256', commonName: `${name} Manufacturer CA`, organization: 'Acme Devices' }, 'test');
  const file = join(fleet.dir, `${name}.pem`);
  writeFileSync(file, toPem(ca.certificate_der, 'CERTIFICATE'));
  return file;
}

/** A new device and its IEEE 802.1AR birth certificate (notAfter 99991231235959Z) from a manufacturer CA. */
export async function issueIdevidDevice(fleet: TestFleet, ca = 'acme-factory'): Promise<Issued> {
  const serial = `ACME-${randomBytes(4).toString('hex')}`;
  const device = await createDevice(fleet.ctx, { externalSerial: serial, deviceClass: 'sensor', environment: 'production' }, 'test');
  const csr = opensslCsr(fleet.dir, 'ec-p256');
  const row = await issueIdevid(fleet.ctx, { ca, serial, csr: csr.pem }, 'test');
  const pem = toPem(row.der, 'CERTIFICATE');
  const certFile = join(fleet.dir, `idevid-${row.id}.pem`);
  writeFileSync(certFile, pem);
  return { row, pem, certFile, keyFile: csr.keyFile, deviceId: device.id };
}

/** The URL in the certificate's CRL distribution point, as openssl prints it. */
export function crlDpOf(pem: string): string {
  const lines = extensionIn(opensslText(pem), 'X509v3 CRL Distribution Points')?.lines ?? [];
  const uri = lines.find((l) => l.startsWith('URI:'));
  if (!uri) throw new Error(`no CRL distribution point URI in:\n${lines.join('\n')}`);
  return uri.slice(4);
}

export function crlText(der: Uint8Array): string {
  return execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: der, encoding: 'utf8' });
}

/** Writes a CRL as PEM (what -CRLfile reads by default) and returns the path. */
export function crlFile(dir: string, der: Uint8Array, name = `crl-${randomBytes(4).toString('hex')}`): string {
  const path = join(dir, `${name}.crl.pem`);
  writeFileSync(path, toPem(der, 'X509 CRL'));
  return path;
}

export interface Verdict {
  ok: boolean;
  output: string;
}

/** `openssl verify -crl_check[_all]` of a certificate file with the given CRL files. */
export function verifyWithCrls(chain: { root: string; intermediate: string }, certFile: string, crlFiles: string[], all = false): Verdict {
  const args = ['verify', all ? '-crl_check_all' : '-crl_check', '-CAfile', chain.root, '-untrusted', chain.intermediate];
  for (const file of crlFiles) args.push('-CRLfile', file);
  const result = spawnSync('openssl', [...args, certFile], { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}
