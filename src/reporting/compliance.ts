// The compliance summary, per device class: does every device have its own key and one
// current certificate per profile, are keys and lifetimes within the profile's policy, is
// every issuer an active fleetpki CA, has every device an owner. Counts come from grouped SQL
// (compliance-queries.ts); each failing check names a few certificates or devices to start from.
//
// Certificates adopted from discovery are devices' identities too, held to what can be held
// without a profile: the key floor (keyPolicy) and a trust anchor fleetpki knows, its own CA
// or a registered manufacturer (trustedIssuer). A self-signed RSA-1024 camera certificate
// adopted as is fails both.

import type { Kysely } from 'kysely';
import type { Database, Engine } from '../store/schema.ts';
import {
  adoptedGroups,
  certificateGroups,
  devicesByClass,
  devicesWithSeveralCurrent,
  ownerlessDevices,
  sharedKeyCertificates,
  type AdoptedGroupRow,
  type CertificateGroupRow,
  type ComplianceScope,
  type ExampleRow,
} from './compliance-queries.ts';
import { isWeakKeyType } from './key-strength.ts';
import { profilePolicies, type ProfilePolicy } from './profile-policy.ts';
import { withReportSession } from './report-session.ts';

const EXAMPLES = 5;
/** Trust that anchors an adopted certificate: discovery found a path to one of these. */
const TRUSTED_ADOPTED = new Set(['fleetpki', 'manufacturer']);
/** Examples of adopted certificates are discovered-certificate ids (GET /api/v1/discovery/certificates/<id>), so marked. */
export const DISCOVERED_EXAMPLE_PREFIX = 'discovered:';

export interface Check {
  /** How many certificates (or devices, see `unit`) fail it. */
  failing: number;
  unit: 'certificates' | 'devices';
  /** Up to five ids of those, to start from; an adopted certificate's is "discovered:<id>". */
  examples: string[];
}

export interface ClassCompliance {
  /** null for certificates that belong to no device. */
  deviceClass: string | null;
  devices: number;
  /** Live certificates in the ledger (issued by fleetpki's CAs). */
  liveCertificates: number;
  /** Live certificates adopted from discovery: not in the ledger, held to the key floor and a known trust anchor. */
  adoptedCertificates: number;
  /** Key types of the live certificates, ledger and adopted. */
  keyTypes: Record<string, number>;
  /** Live certificates under a name that is no profile (IDevIDs, deleted profiles): lifetime and key not checked. */
  withoutProfilePolicy: number;
  checks: {
    uniqueKey: Check;
    oneCurrentPerProfile: Check;
    keyPolicy: Check;
    lifetime: Check;
    trustedIssuer: Check;
    owner: Check;
  };
  compliant: boolean;
}

export interface ComplianceReport {
  asOf: string;
  classes: ClassCompliance[];
}

function emptyClass(deviceClass: string): ClassCompliance {
  const check = (unit: Check['unit']): Check => ({ failing: 0, unit, examples: [] });
  return {
    deviceClass: deviceClass === '' ? null : deviceClass,
    devices: 0,
    liveCertificates: 0,
    adoptedCertificates: 0,
    keyTypes: {},
    withoutProfilePolicy: 0,
    checks: {
      uniqueKey: check('certificates'),
      oneCurrentPerProfile: check('devices'),
      keyPolicy: check('certificates'),
      lifetime: check('certificates'),
      trustedIssuer: check('certificates'),
      owner: check('devices'),
    },
    compliant: true,
  };
}

function addGroup(target: ClassCompliance, g: CertificateGroupRow, policy: ProfilePolicy | undefined): void {
  const n = Number(g.certificates);
  const { keyPolicy, lifetime, trustedIssuer } = target.checks;
  target.liveCertificates += n;
  target.keyTypes[g.key_type] = (target.keyTypes[g.key_type] ?? 0) + n;
  if (!policy) target.withoutProfilePolicy += n;
  else if (!policy.allowsKey(g.key_type)) {
    keyPolicy.failing += n;
    example(keyPolicy, g.first_id);
  }
  lifetime.failing += Number(g.too_long);
  example(lifetime, g.first_too_long_id);
  if (g.ca_status !== 'active') {
    trustedIssuer.failing += n;
    example(trustedIssuer, g.first_id);
  }
}

function addAdopted(target: ClassCompliance, g: AdoptedGroupRow): void {
  const n = Number(g.certificates);
  const { keyPolicy, trustedIssuer } = target.checks;
  const id = `${DISCOVERED_EXAMPLE_PREFIX}${g.first_id}`;
  target.adoptedCertificates += n;
  target.keyTypes[g.key_type] = (target.keyTypes[g.key_type] ?? 0) + n;
  if (isWeakKeyType(g.key_type)) {
    keyPolicy.failing += n;
    example(keyPolicy, id);
  }
  if (!TRUSTED_ADOPTED.has(g.trust)) {
    trustedIssuer.failing += n;
    example(trustedIssuer, id);
  }
}

function addListed(classes: Map<string, ClassCompliance>, rows: ExampleRow[], pick: (c: ClassCompliance) => Check): void {
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    const check = pick(classOf(classes, row.device_class));
    check.failing += 1;
    if (check.examples.length < EXAMPLES) check.examples.push(row.id);
  }
}

function classOf(classes: Map<string, ClassCompliance>, name: string): ClassCompliance {
  let entry = classes.get(name);
  if (!entry) classes.set(name, (entry = emptyClass(name)));
  return entry;
}

function example(check: Check, id: string | null): void {
  if (id !== null && check.examples.length < EXAMPLES && !check.examples.includes(id)) check.examples.push(id);
}

async function summarise(s: ComplianceScope): Promise<ComplianceReport> {
  const policies = await profilePolicies(s.db);
  const classes = new Map<string, ClassCompliance>();
  for (const row of await devicesByClass(s.db)) {
    const entry = classOf(classes, row.device_class);
    entry.devices = Number(row.devices);
    entry.checks.owner.failing = Number(row.no_owner);
  }
  const groups = await certificateGroups(s, [...policies.values()]);
  for (const g of groups) addGroup(classOf(classes, g.device_class), g, policies.get(g.profile));
  for (const g of await adoptedGroups(s)) addAdopted(classOf(classes, g.device_class), g);
  addListed(classes, await sharedKeyCertificates(s), (c) => c.checks.uniqueKey);
  addListed(classes, await devicesWithSeveralCurrent(s), (c) => c.checks.oneCurrentPerProfile);
  for (const entry of classes.values()) {
    const { owner } = entry.checks;
    if (owner.failing > 0) owner.examples = await ownerlessDevices(s.db, entry.deviceClass ?? '', EXAMPLES);
    entry.compliant = Object.values(entry.checks).every((c) => c.failing === 0);
  }
  const sorted = [...classes.values()].sort((a, b) => (a.deviceClass ?? '').localeCompare(b.deviceClass ?? ''));
  return { asOf: s.now.toISOString(), classes: sorted };
}

export async function complianceReport(db: Kysely<Database>, engine: Engine, now = new Date()): Promise<ComplianceReport> {
  return withReportSession(db, engine, (session) => summarise({ db: session, engine, now }));
}
