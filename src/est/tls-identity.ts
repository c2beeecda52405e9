// The EST server's own TLS certificate, issued by fleetpki through the same path as any
// device's: a device record stands for the server, a key is made here, a CSR for it goes
// through issueFromCsr under est.tlsProfile. The key is kept sealed with the CA passphrase,
// so it is reused across restarts while its certificate is good and replaced when due.

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { issueFromCsr } from '../app/certificates.ts';
import type { Context } from '../app/context.ts';
import { createDevice } from '../app/devices.ts';
import { sealPrivateKey, unsealPrivateKey } from '../signer/sealed-key.ts';
import { getCertificate } from '../store/repos/certificates.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import type { CertificatesTable, DevicesTable } from '../store/schema.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { buildCsr } from '../x509/csr-build.ts';
import { toPem } from '../x509/pem.ts';
import { formatSan, parseSan } from '../x509/san.ts';

export const SERVER_DEVICE_SERIAL = 'fleetpki-est-server';
const ACTOR = 'est:server';

export interface TlsIdentity {
  certificate: CertificatesTable;
  keyPem: string;
  /** Leaf then issuing CA, as the TLS handshake sends them. */
  chainPem: string;
}

interface KeyFile {
  certificateId: string;
  sealedKey: string;
}

const keyFilePath = (ctx: Context) => join(ctx.config.dataDir, 'est', 'tls-key.json');

async function serverDevice(ctx: Context): Promise<DevicesTable> {
  const existing = await getDeviceBySerial(ctx.db, SERVER_DEVICE_SERIAL);
  if (existing) return existing;
  return createDevice(ctx, { externalSerial: SERVER_DEVICE_SERIAL, deviceClass: 'fleetpki-server', environment: 'infrastructure', metadata: { role: 'EST server TLS identity' } }, ACTOR);
}

function wantedSans(ctx: Context): string[] {
  return ctx.config.est.serverNames.map((name) => formatSan(parseSan(`${isIP(name) ? 'ip' : 'dns'}:${name}`)));
}

function readKeyFile(ctx: Context, device: DevicesTable): { certificateId: string; key: KeyObject } | null {
  let stored: KeyFile;
  try {
    stored = JSON.parse(readFileSync(keyFilePath(ctx), 'utf8'));
  } catch {
    return null; // none yet, or unreadable: a new key is made
  }
  try {
    return { certificateId: stored.certificateId, key: unsealPrivateKey(Buffer.from(stored.sealedKey, 'base64'), ctx.passphrase(), `est-tls:${device.id}`) };
  } catch (error) {
    // Another passphrase, or a key file from another data directory: make a new identity rather than refuse to start.
    ctx.log.warn({ reason: (error as Error).message }, 'EST server TLS key not usable; a new one will be made');
    return null;
  }
}

function writeKeyFile(ctx: Context, device: DevicesTable, certificateId: string, key: KeyObject): void {
  const path = keyFilePath(ctx);
  mkdirSync(join(ctx.config.dataDir, 'est'), { recursive: true, mode: 0o700 });
  const sealed = sealPrivateKey(key, ctx.passphrase(), `est-tls:${device.id}`, ctx.config.keys.scryptLog2N);
  const content: KeyFile = { certificateId, sealedKey: sealed.toString('base64') };
  writeFileSync(`${path}.tmp`, JSON.stringify(content), { mode: 0o600 });
  renameSync(`${path}.tmp`, path); // a crash never leaves half a key file
}

/** Reusable: recorded, valid, this device's, this profile's, these names, this key, not yet due. */
function reusable(ctx: Context, row: CertificatesTable | undefined, device: DevicesTable, key: KeyObject, now: Date): row is CertificatesTable {
  if (!row || row.status !== 'valid' || row.device_id !== device.id || row.profile !== ctx.config.est.tlsProfile) return false;
  if (now.toISOString() >= row.renew_after || now.toISOString() >= row.not_after) return false;
  if (JSON.stringify([...JSON.parse(row.sans)].sort()) !== JSON.stringify(wantedSans(ctx).sort())) return false;
  return row.spki_sha256 === sha256Hex(createPublicKey(key).export({ format: 'der', type: 'spki' }));
}

async function identity(ctx: Context, certificate: CertificatesTable, key: KeyObject): Promise<TlsIdentity> {
  const issuer = await ctx.cas.get(certificate.issuer_id);
  return {
    certificate,
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    chainPem: toPem(certificate.der, 'CERTIFICATE') + toPem(issuer.row.certificate_der, 'CERTIFICATE'),
  };
}

/** The current identity: the stored one while it is good, else a new key and certificate replacing it. */
export async function ensureTlsIdentity(ctx: Context, now = new Date()): Promise<TlsIdentity> {
  const device = await serverDevice(ctx);
  const stored = readKeyFile(ctx, device);
  const current = stored ? await getCertificate(ctx.db, stored.certificateId) : undefined;
  if (stored && reusable(ctx, current, device, stored.key, now)) return identity(ctx, current, stored.key);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = buildCsr({ privateKey, publicKey }, { subject: [['CN', device.id]] }, wantedSans(ctx).map(parseSan));
  const replaces = current?.device_id === device.id ? current.id : null;
  const certificate = await issueFromCsr(ctx, { csr, profile: ctx.config.est.tlsProfile, deviceId: device.id, replaces }, ACTOR);
  writeKeyFile(ctx, device, certificate.id, privateKey);
  ctx.log.info({ certificate: certificate.id, serial: certificate.serial_hex, notAfter: certificate.not_after, sans: JSON.parse(certificate.sans) }, 'EST server TLS certificate issued');
  return identity(ctx, certificate, privateKey);
}
