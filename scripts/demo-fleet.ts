// A small, believable fleet for the dashboard's screenshots and for trying the dashboard
// out: devices of several classes, sites and owners, certificates issued over the past
// weeks (so the expiry timeline has a spread), some revoked, one on hold, a suspended and a
// decommissioned device, and dashboard users of each role.
//
// Certificates go through the RA (approve) and the CA (issueCertificate): real keys, real
// CSRs, signed, linted, recorded and audited. Only the RA's clock is set back, as if each
// had been requested on an earlier day; the issuing CAs are new, so a certificate's
// notBefore is cut to its CA's and the lifetime ends where it would have.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/ca/issue.ts';
import type { Context } from '../src/app/context.ts';
import { createDevice, decommissionDevice, suspendDevice } from '../src/app/devices.ts';
import { revokeCertificate } from '../src/app/certificates.ts';
import { getProfile } from '../src/app/profiles.ts';
import { createUser } from '../src/app/users.ts';
import { importBundle } from '../src/discovery/import.ts';
import { runJobNow } from '../src/lifecycle/operations.ts';
import { lifecycleFor } from '../src/lifecycle/service.ts';
import { approve } from '../src/ra/approve.ts';
import type { CertificatesTable, Criticality, DevicesTable } from '../src/store/schema.ts';
import { buildCsr } from '../src/x509/csr-build.ts';
import { parseCsr } from '../src/x509/csr.ts';

const ACTOR = 'seed:demo-fleet';
const DAY_MS = 86_400_000;

export const DEMO_PASSWORD = 'correct horse battery staple';
export const DEMO_USERS = [
  { username: 'alice', role: 'admin' },
  { username: 'olivia', role: 'operator' },
  { username: 'audra', role: 'auditor' },
] as const;

interface Kind {
  deviceClass: string;
  environment: string;
  profile: string;
  model: string;
  /** Oldest issuance, in days ago: certificates are spread evenly back to it. */
  spreadDays: number;
  sites: string[];
  owners: string[];
}

const KINDS: Kind[] = [
  { deviceClass: 'sensor', environment: 'production', profile: 'sensor', model: 'TH-200', spreadDays: 29, sites: ['plant-north', 'plant-south', 'warehouse-3'], owners: ['plant-ops', 'facilities'] },
  { deviceClass: 'gateway', environment: 'production', profile: 'gateway', model: 'GW-9', spreadDays: 89, sites: ['plant-north', 'plant-south'], owners: ['network-team'] },
  { deviceClass: 'meter', environment: 'production', profile: 'gateway', model: 'EM-40', spreadDays: 80, sites: ['substation-a', 'substation-b'], owners: ['energy'] },
  { deviceClass: 'sensor', environment: 'lab', profile: 'lab-sensor', model: 'TH-200-dev', spreadDays: 6, sites: ['lab-1'], owners: ['firmware-team'] },
];

const CRITICALITY: Criticality[] = ['low', 'medium', 'medium', 'high', 'critical'];

export interface DemoFleet {
  devices: DevicesTable[];
  certificates: CertificatesTable[];
  /** A gateway renewed twice, its older certificates superseded: the device page's history. */
  renewed: DevicesTable;
}

async function issueAsOf(ctx: Context, device: DevicesTable, profileName: string, issuedAt: Date, replacesId: string | null = null): Promise<CertificatesTable> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = await parseCsr(buildCsr(key, { subject: [['CN', device.external_serial]] }));
  const profile = await getProfile(ctx, profileName);
  const issuer = await ctx.cas.byName(profile.ca);
  const approved = approve({
    ctx: { csr, profile, device, issuer: issuer.row },
    issuerNotBefore: issuer.cert.notBefore,
    issuerNotAfter: issuer.cert.notAfter,
    now: issuedAt,
    replacesId,
  });
  return issueCertificate({ ledger: ctx.ledger, issuer: (id) => ctx.cas.get(id), passphrase: ctx.passphrase }, approved, ACTOR);
}

/** `perKind` devices of each kind; about 4 x perKind certificates. */
export async function seedDemoFleet(ctx: Context, perKind = 40): Promise<DemoFleet> {
  for (const user of DEMO_USERS) await createUser(ctx, user.username, user.role, DEMO_PASSWORD, ACTOR);
  const devices: DevicesTable[] = [];
  const certificates: CertificatesTable[] = [];
  const now = Date.now();
  let n = 0;
  for (const kind of KINDS) {
    for (let i = 0; i < perKind; i++, n++) {
      const device = await createDevice(ctx, {
        externalSerial: `${kind.model}-${String(10_000 + n * 37).padStart(6, '0')}`,
        deviceClass: kind.deviceClass,
        environment: kind.environment,
        model: kind.model,
        site: kind.sites[i % kind.sites.length],
        owner: kind.owners[i % kind.owners.length],
        criticality: CRITICALITY[(i * 7 + n) % CRITICALITY.length],
        metadata: { firmware: `2.${i % 4}.${i % 7}` },
      }, ACTOR);
      // A handful stay registered: unpacked, not yet enrolled.
      if (i % 13 === 12) {
        devices.push(device);
        continue;
      }
      const daysAgo = ((i * 17) % (kind.spreadDays + 1)) + (i % 3) * 0.3;
      certificates.push(await issueAsOf(ctx, device, kind.profile, new Date(now - daysAgo * DAY_MS)));
      devices.push(device);
    }
  }
  const renewed = await incidents(ctx, devices, certificates);
  // The lifecycle's passes raise the alerts such a fleet has: renewals due, drift.
  for (const job of ['expiry', 'renewal-due', 'renewal-failed', 'orphans', 'drift']) await runJobNow(lifecycleFor(ctx), job, ACTOR);
  await importBundle(ctx, strayCertificates(), 'historian-export', {}, ACTOR);
  return { devices, certificates, renewed };
}

/** What happens in a real fleet: renewals, a key leaked, a device in repair, one retired. */
async function incidents(ctx: Context, devices: DevicesTable[], certificates: CertificatesTable[]): Promise<DevicesTable> {
  const byDevice = (d: DevicesTable) => certificates.find((c) => c.device_id === d.id);
  const withCert = devices.filter(byDevice);
  // The gateway whose certificate is oldest: renewed a month ago, and again two days ago.
  const gateways = withCert.filter((d) => byDevice(d)!.profile === 'gateway');
  const renewed = gateways.reduce((a, b) => (byDevice(b)!.not_after < byDevice(a)!.not_after ? b : a));
  let previous = byDevice(renewed)!;
  for (const daysAgo of [30, 2]) {
    const next = await issueAsOf(ctx, renewed, 'gateway', new Date(Date.now() - daysAgo * DAY_MS), previous.id);
    await revokeCertificate(ctx, previous.id, 'superseded', 'system:renewal');
    certificates.push(next);
    previous = next;
  }
  await revokeCertificate(ctx, byDevice(withCert[3])!.id, 'keyCompromise', 'user:alice');
  await revokeCertificate(ctx, byDevice(withCert[45])!.id, 'certificateHold', 'user:olivia');
  await suspendDevice(ctx, withCert[20].id, 'user:olivia');
  await decommissionDevice(ctx, withCert[60].id, 'retired', 'user:alice');
  return renewed;
}

/**
 * Certificates from outside fleetpki, as an audit of a plant network turns them up: a
 * self-signed HMI certificate with a 1024-bit RSA key and SHA-1, and a self-signed web
 * server. Made by openssl, imported like an uploaded bundle.
 */
function strayCertificates(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-demo-'));
  try {
    const make = (name: string, args: string[]) => {
      const out = join(dir, `${name}.pem`);
      execFileSync('openssl', ['req', '-x509', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', out, ...args], { stdio: 'ignore' });
      return readFileSync(out);
    };
    return Buffer.concat([
      make('hmi', ['-newkey', 'rsa:1024', '-sha1', '-days', '400', '-subj', '/CN=legacy-hmi.plant.local']),
      make('historian', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-days', '20', '-subj', '/O=Plant IT/CN=historian.plant.local']),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
