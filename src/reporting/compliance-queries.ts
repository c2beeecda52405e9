// The aggregates behind the compliance summary, each one SQL statement grouped in the
// database. "Live" is what a relying party would accept now: valid (not revoked, not on
// hold), not expired, of a device not decommissioned (or of no device).

import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database, Engine } from '../store/schema.ts';
import type { ProfilePolicy } from './profile-policy.ts';
import { epochSeconds } from './sql-time.ts';

export interface ComplianceScope {
  db: Kysely<Database>;
  engine: Engine;
  now: Date;
}

export interface DeviceClassRow {
  device_class: string;
  devices: number;
  no_owner: number;
}

export interface CertificateGroupRow {
  device_class: string;
  profile: string;
  key_type: string;
  ca_status: string;
  certificates: number;
  too_long: number;
  /** The smallest id of the group, and of its certificates that outlive the profile: examples at no extra cost. */
  first_id: string;
  first_too_long_id: string | null;
}

export interface ExampleRow {
  id: string;
  device_class: string;
}

const LIVE_FROM = sql`certificates c left join devices d on d.id = c.device_id`;

/**
 * The same, read by a full pass. Live certificates are a large share of the ledger (all the
 * current ones), and SQLite, without statistics, would reach them through the (status,
 * not_after) index, one random row read each: 5.4 s against 2.4 s for a sequential pass over
 * a million rows. NOT INDEXED is SQLite's own syntax; PostgreSQL has statistics and chooses
 * its sequential scan alone.
 */
function scanFrom(engine: Engine): RawBuilder<unknown> {
  if (engine === 'postgres') return LIVE_FROM;
  return sql`certificates c not indexed left join devices d on d.id = c.device_id`;
}

export function liveSql(now: Date): RawBuilder<SqlBool> {
  return sql<SqlBool>`c.status = 'valid' and c.not_after > ${now.toISOString()} and (d.id is null or d.status <> 'decommissioned')`;
}

const deviceClass = sql`coalesce(d.device_class, '')`;

/** Devices in service or suspended, and those without an owner, by class. */
export async function devicesByClass(db: Kysely<Database>): Promise<DeviceClassRow[]> {
  const { rows } = await sql<DeviceClassRow>`
    select device_class, count(*) as devices, sum(case when owner is null or trim(owner) = '' then 1 else 0 end) as no_owner
    from devices where status <> 'decommissioned' group by device_class`.execute(db);
  return rows;
}

/**
 * notAfter - notBefore above the profile's longest lifetime; null (no verdict) for a name that
 * is no profile. Rounded to whole seconds, as certificates count time: SQLite's julianday()
 * is a float of days, and the difference of two of them misses an exact limit by some
 * microseconds one time in ten (a certificate of exactly the longest lifetime then failed).
 */
export function tooLongSql(engine: Engine, policies: ProfilePolicy[]): RawBuilder<SqlBool> {
  if (policies.length === 0) return sql<SqlBool>`1 = 0`;
  const limits = policies.map((p) => sql`when ${p.name} then ${sql.lit(p.maxLifetimeSeconds)}`);
  const lifetime = sql`(${epochSeconds(engine, sql`c.not_after`)} - ${epochSeconds(engine, sql`c.not_before`)})`;
  return sql<SqlBool>`round(${lifetime}) > (case c.profile ${sql.join(limits, sql` `)} else null end)`;
}

/** Live certificates by class, profile, key type and issuer status, with how many outlive their profile. */
export async function certificateGroups(s: ComplianceScope, policies: ProfilePolicy[]): Promise<CertificateGroupRow[]> {
  const { rows } = await sql<CertificateGroupRow>`
    select ${deviceClass} as device_class, c.profile, c.key_type, ca.status as ca_status, count(*) as certificates,
      sum(case when ${tooLongSql(s.engine, policies)} then 1 else 0 end) as too_long,
      min(c.id) as first_id, min(case when ${tooLongSql(s.engine, policies)} then c.id end) as first_too_long_id
    from ${scanFrom(s.engine)} join cas ca on ca.id = c.issuer_id
    where ${liveSql(s.now)}
    group by ${deviceClass}, c.profile, c.key_type, ca.status`.execute(s.db);
  return rows;
}

export interface AdoptedGroupRow {
  device_class: string;
  key_type: string;
  trust: string;
  certificates: number;
  /** The smallest discovered-certificate id of the group, as an example. */
  first_id: string;
}

/**
 * Certificates adopted from discovery (discovered_certificates.adopted_device_id): a device's
 * identity that no fleetpki CA issued, so absent from the ledger passes above, grouped by
 * class, key type and the trust discovery found. Live as a relying party sees it: not expired,
 * of a device not decommissioned (fleetpki cannot revoke them, so there is no status to ask).
 * Adoption is rare and the adopted_device_id index holds only adopted rows' ids.
 */
export async function adoptedGroups(s: ComplianceScope): Promise<AdoptedGroupRow[]> {
  const { rows } = await sql<AdoptedGroupRow>`
    select d.device_class, dc.key_type, dc.trust, count(*) as certificates, min(dc.id) as first_id
    from discovered_certificates dc join devices d on d.id = dc.adopted_device_id
    where dc.adopted_device_id is not null and dc.not_after > ${s.now.toISOString()} and d.status <> 'decommissioned'
    group by d.device_class, dc.key_type, dc.trust`.execute(s.db);
  return rows;
}

/** Valid, unexpired certificates, without the device condition: for passes that read no device. */
function validSql(now: Date): RawBuilder<SqlBool> {
  return sql<SqlBool>`c.status = 'valid' and c.not_after > ${now.toISOString()}`;
}

function certificatesScan(engine: Engine): RawBuilder<unknown> {
  return engine === 'postgres' ? sql`certificates c` : sql`certificates c not indexed`;
}

/**
 * Live certificates whose public key is also on a live certificate of another device. The
 * pass groups certificates alone (joining a device per row doubles its cost); the few keys
 * it finds are then checked with their devices, through the spki index.
 */
/** Bind parameters per IN list, far below either engine's limit. */
const IN_CHUNK = 1000;

interface SharedKeyRow extends ExampleRow {
  spki_sha256: string;
  device_id: string;
  status: string;
  not_after: string;
  device_status: string | null;
}

/** Only spki_sha256 in the condition, so the spki index is the one path to these rows. */
async function certificatesWithKeys(db: Kysely<Database>, keys: string[]): Promise<SharedKeyRow[]> {
  const { rows } = await sql<SharedKeyRow>`
    select c.id, c.spki_sha256, c.device_id, c.status, c.not_after, d.status as device_status, ${deviceClass} as device_class
    from ${LIVE_FROM} where c.spki_sha256 in (${sql.join(keys)})`.execute(db);
  return rows;
}

export async function sharedKeyCertificates(s: ComplianceScope): Promise<ExampleRow[]> {
  const { rows: keys } = await sql<{ spki_sha256: string }>`
    select c.spki_sha256 from ${certificatesScan(s.engine)} where ${validSql(s.now)}
    group by c.spki_sha256 having count(distinct c.device_id) > 1`.execute(s.db);
  if (keys.length === 0) return [];
  const rows: SharedKeyRow[] = [];
  for (let i = 0; i < keys.length; i += IN_CHUNK) rows.push(...(await certificatesWithKeys(s.db, keys.slice(i, i + IN_CHUNK).map((k) => k.spki_sha256))));
  const at = s.now.toISOString();
  const live = rows.filter((r) => r.status === 'valid' && r.not_after > at && r.device_status !== 'decommissioned');
  const devicesPerKey = new Map<string, Set<string>>();
  for (const row of live) devicesPerKey.set(row.spki_sha256, (devicesPerKey.get(row.spki_sha256) ?? new Set()).add(row.device_id));
  return live
    .filter((row) => devicesPerKey.get(row.spki_sha256)!.size > 1)
    .map(({ id, device_class }) => ({ id, device_class }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Devices with two or more live certificates of one profile that no renewal links: a
 * renewal's predecessor is replaced (replaces_id) and stays valid only for the overlap, so
 * after renewals one certificate per profile is left unreplaced. Two unreplaced ones mean a
 * second enrolment beside a certificate that was never revoked. Grouped without devices,
 * as above; the devices found are then looked up, decommissioned ones dropped.
 */
export async function devicesWithSeveralCurrent(s: ComplianceScope): Promise<ExampleRow[]> {
  const { rows } = await sql<ExampleRow>`
    select d.id, d.device_class from devices d
    where d.status <> 'decommissioned' and d.id in (
      select c.device_id from ${certificatesScan(s.engine)}
      where ${validSql(s.now)} and c.device_id is not null
        and not exists (select 1 from certificates s where s.replaces_id = c.id and s.status <> 'revoked')
      group by c.device_id, c.profile
      having count(*) > 1)
    order by d.id`.execute(s.db);
  return rows;
}

/** A few devices of one class without an owner. */
export async function ownerlessDevices(db: Kysely<Database>, cls: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from devices where status <> 'decommissioned' and device_class = ${cls} and (owner is null or trim(owner) = '')
    order by id limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}
