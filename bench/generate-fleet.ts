// A synthetic fleet for the scale benchmark: devices and their certificate histories written
// straight into the store with multi-row inserts in transactions (signing a million
// certificates would take the bench hours and measure the CA, not the reports).
//
// Shape, per device: a chain of certificates, each renewed at 66% of its lifetime and
// replacing the previous one (replaces_id), so the history overlaps as real renewals do. The
// newest certificate is mostly healthy; a few are due, overdue (under 10% of life left) or
// expired without a successor. Suspended devices keep live certificates (orphans),
// decommissioned ones are revoked, a few keys are weak (rsa-1024) or shared between devices,
// a few devices enrolled twice without revoking the first certificate.
// Deterministic for a seed, so two engines get the same fleet.

import type { Kysely } from 'kysely';
import { newId } from '../src/ids.ts';
import type { NewCertificate } from '../src/store/repos/certificates.ts';
import type { NewDevice } from '../src/store/repos/devices.ts';
import type { Criticality, Database, DeviceStatus } from '../src/store/schema.ts';

const DAY = 86_400_000;
/** 19 columns x 500 rows = 9,500 bind parameters, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;
const ROWS_PER_TRANSACTION = 20_000;
/** About the size of a real P-256 device certificate; table scans must read rows of this size. */
const DER = Buffer.alloc(450, 0x30);

export interface FleetSpec {
  devices: number;
  certificates: number;
  /** Issuing CA ids the certificates are spread over (foreign keys to cas). */
  issuerIds: string[];
  now: Date;
  seed?: number;
  onProgress?: (table: 'devices' | 'certificates', written: number) => void;
}

interface ClassSpec {
  name: string;
  share: number;
  profile: string;
  lifetimeDays: number;
}

// Profiles and lifetimes of the default profiles `init` creates, so compliance finds them within policy.
const CLASSES: ClassSpec[] = [
  { name: 'sensor', share: 0.7, profile: 'sensor', lifetimeDays: 30 },
  { name: 'gateway', share: 0.2, profile: 'gateway', lifetimeDays: 90 },
  { name: 'camera', share: 0.07, profile: 'tls-server', lifetimeDays: 397 },
  { name: 'plc', share: 0.03, profile: 'gateway', lifetimeDays: 90 },
];

/** mulberry32: small, fast and good enough to spread synthetic rows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T extends { share: number }>(items: T[], r: number): T {
  let acc = 0;
  for (const item of items) {
    acc += item.share;
    if (r < acc) return item;
  }
  return items[items.length - 1];
}

const CRITICALITY: Array<{ value: Criticality; share: number }> = [
  { value: 'low', share: 0.4 },
  { value: 'medium', share: 0.35 },
  { value: 'high', share: 0.2 },
  { value: 'critical', share: 0.05 },
];

const STATUS: Array<{ value: DeviceStatus; share: number }> = [
  { value: 'active', share: 0.94 },
  { value: 'registered', share: 0.01 },
  { value: 'suspended', share: 0.03 },
  { value: 'decommissioned', share: 0.02 },
];

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i += 4) out += Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0');
  return out.slice(0, bytes * 2);
}

interface GeneratedDevice {
  row: NewDevice;
  cls: ClassSpec;
}

function makeDevice(random: () => number, index: number, now: number): GeneratedDevice {
  const cls = pick(CLASSES, random());
  const created = new Date(now - Math.floor(random() * 3 * 365 * DAY));
  const at = created.toISOString();
  const row: NewDevice = {
    id: newId(created.getTime()),
    external_serial: `GEN-${index.toString().padStart(8, '0')}`,
    model: `${cls.name}-m${Math.floor(random() * 5)}`,
    device_class: cls.name,
    environment: random() < 0.9 ? 'production' : 'lab',
    site: `site-${Math.floor(random() * 200)}`,
    owner: random() < 0.95 ? `team-${Math.floor(random() * 40)}` : null,
    criticality: pick(CRITICALITY, random()).value,
    status: pick(STATUS, random()).value,
    metadata: '{}',
    created_at: at,
    updated_at: at,
  };
  return { row, cls };
}

/** Age of the newest certificate as a fraction of its lifetime: mostly healthy, a few overdue or expired. */
function currentAge(random: () => number): number {
  const r = random();
  if (r < 0.9) return random() * 0.66;
  if (r < 0.96) return 0.66 + random() * 0.24;
  if (r < 0.99) return 0.9 + random() * 0.1;
  return 1 + random();
}

/** Ed25519 only where the profile allows it (sensors); a few RSA keys, some of them weak. */
function keyType(random: () => number, profile: string): string {
  const r = random();
  if (r < 0.0005) return 'rsa-1024';
  if (r < 0.005) return 'rsa-2048';
  return r < 0.2 && profile === 'sensor' ? 'ed25519' : 'ec-p256';
}

interface ChainInput {
  device: GeneratedDevice;
  count: number;
  issuerId: string;
  now: number;
  sharedSpki: string | null;
}

/** Oldest first; the last one is the device's current certificate. */
function certificateChain(random: () => number, { device, count, issuerId, now, sharedSpki }: ChainInput): NewCertificate[] {
  const life = device.cls.lifetimeDays * DAY;
  const step = Math.round(life * 0.66);
  const currentStart = now - Math.round(currentAge(random) * life);
  const revoked = device.row.status === 'decommissioned' && random() > 0.01;
  const rows: NewCertificate[] = [];
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const start = currentStart - (count - 1 - i) * step;
    const isCurrent = i === count - 1;
    const notBefore = new Date(start).toISOString();
    const id = newId(start);
    rows.push({
      id,
      issuer_id: issuerId,
      serial_hex: hex(random, 16),
      subject: `O=fleetpki,OU=${device.cls.name},CN=${device.row.id}`,
      sans: JSON.stringify([`uri:urn:fleetpki:device:${device.row.id}`]),
      key_type: keyType(random, device.cls.profile),
      spki_sha256: isCurrent && sharedSpki ? sharedSpki : hex(random, 32),
      fingerprint_sha256: hex(random, 32),
      not_before: notBefore,
      not_after: new Date(start + life).toISOString(),
      renew_after: new Date(start + step).toISOString(),
      status: revoked ? 'revoked' : isCurrent && random() < 0.001 ? 'on_hold' : 'valid',
      revocation_reason: revoked ? 'cessationOfOperation' : null,
      revoked_at: revoked ? new Date(now - DAY).toISOString() : null,
      profile: device.cls.profile,
      device_id: device.row.id,
      replaces_id: previous,
      der: DER,
      created_at: notBefore,
    });
    previous = id;
  }
  return rows;
}

/** Buffers rows and writes them in multi-row inserts, one transaction per ROWS_PER_TRANSACTION. */
class BulkWriter<T extends 'devices' | 'certificates'> {
  #pending: unknown[] = [];
  written = 0;
  readonly #db: Kysely<Database>;
  readonly #table: T;
  readonly #progress?: FleetSpec['onProgress'];

  constructor(db: Kysely<Database>, table: T, progress?: FleetSpec['onProgress']) {
    this.#db = db;
    this.#table = table;
    this.#progress = progress;
  }

  async add(rows: unknown[]): Promise<void> {
    for (const row of rows) this.#pending.push(row);
    if (this.#pending.length >= ROWS_PER_TRANSACTION) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.#pending;
    this.#pending = [];
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        await trx.insertInto(this.#table).values(rows.slice(i, i + ROWS_PER_INSERT) as never).execute();
      }
    });
    this.written += rows.length;
    this.#progress?.(this.#table, this.written);
  }
}

/** Writes the fleet; returns what was written. Devices first: certificates reference them. */
export async function generateFleet(db: Kysely<Database>, spec: FleetSpec): Promise<{ devices: number; certificates: number }> {
  const random = prng(spec.seed ?? 1);
  const now = spec.now.getTime();
  const devices: GeneratedDevice[] = [];
  const deviceWriter = new BulkWriter(db, 'devices', spec.onProgress);
  for (let i = 0; i < spec.devices; i++) {
    const device = makeDevice(random, i, now);
    devices.push(device);
    await deviceWriter.add([device.row]);
  }
  await deviceWriter.flush();

  const certWriter = new BulkWriter(db, 'certificates', spec.onProgress);
  const perDevice = Math.floor(spec.certificates / spec.devices);
  const extra = spec.certificates - perDevice * spec.devices;
  let sharedSpki: string | null = null;
  for (let i = 0; i < devices.length; i++) {
    // One pair of devices in 10,000 shares a key: a cloned image or a copied key file.
    const shares = i % 10_000 === 1 ? sharedSpki : null;
    const count = perDevice + (i < extra ? 1 : 0);
    if (count === 0) continue;
    const chain = certificateChain(random, { device: devices[i], count, issuerId: spec.issuerIds[i % spec.issuerIds.length], now, sharedSpki: shares });
    if (i % 10_000 === 0) sharedSpki = chain[chain.length - 1].spki_sha256;
    // One device in 10,000 enrolled a second time beside its current certificate (no replaces_id).
    if (i % 10_000 === 5 && chain.length > 1) chain[chain.length - 1].replaces_id = null;
    await certWriter.add(chain);
  }
  await certWriter.flush();
  return { devices: deviceWriter.written, certificates: certWriter.written };
}
