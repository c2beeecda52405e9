// Inventory drift: where the certificate's state and its device's state disagree. Each
// rule is one query; the kinds are in alert-kinds.ts.

import type { Kysely } from 'kysely';
import { unindexed } from '../store/unindexed.ts';
import type { Database } from '../store/schema.ts';
import { PAGE } from './certificate-queries.ts';

export interface DriftRow {
  id: string;
  label: string;
}

/**
 * Without it SQLite answered the EXISTS below through the (status, not_after) index, every
 * valid certificate once per registered device: 2.7 s at 50,000 certificates, hours at a
 * million; through device_id it takes 1.8 ms (test/lifecycle/drift-plan.test.ts).
 */
const statusUnindexed = unindexed('c.status');

/** Devices still `registered` although they hold a valid, unexpired certificate (issuance activates them). */
export function registeredWithCertificate(db: Kysely<Database>, now: Date, after: string | null): Promise<DriftRow[]> {
  return registeredWithCertificateQuery(db, now, after).execute();
}

/** The query of registeredWithCertificate, for a test that reads its plan. */
export function registeredWithCertificateQuery(db: Kysely<Database>, now: Date, after: string | null) {
  let query = db
    .selectFrom('devices as d')
    .select(['d.id', 'd.external_serial as label'])
    .where('d.status', '=', 'registered')
    .where((eb) => eb.exists(eb.selectFrom('certificates as c').select('c.id').whereRef('c.device_id', '=', 'd.id').where(statusUnindexed, '=', 'valid').where('c.not_after', '>', now.toISOString())));
  if (after !== null) query = query.where('d.id', '>', after);
  return query.orderBy('d.id').limit(PAGE);
}

/** Unexpired certificates on hold while their device is active (a suspension lifted, the hold forgotten, or the reverse). */
export function heldOnActiveDevice(db: Kysely<Database>, now: Date, after: string | null): Promise<DriftRow[]> {
  let query = db
    .selectFrom('certificates as c')
    .innerJoin('devices as d', 'd.id', 'c.device_id')
    .select(['c.id', 'd.external_serial as label'])
    .where('c.status', '=', 'on_hold')
    .where('d.status', '=', 'active')
    .where('c.not_after', '>', now.toISOString());
  if (after !== null) query = query.where('c.id', '>', after);
  return query.orderBy('c.id').limit(PAGE).execute();
}

/**
 * Active devices whose every certificate is revoked: in service on paper, without an identity.
 * (A device whose certificate merely expired is the expiry job's: its certificate is still valid.)
 */
export function activeWithoutCertificate(db: Kysely<Database>, after: string | null): Promise<DriftRow[]> {
  let query = db
    .selectFrom('devices as d')
    .select(['d.id', 'd.external_serial as label'])
    .where('d.status', '=', 'active')
    .where((eb) => eb.exists(eb.selectFrom('certificates as c').select('c.id').whereRef('c.device_id', '=', 'd.id').where('c.status', '=', 'revoked')))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('certificates as c').select('c.id').whereRef('c.device_id', '=', 'd.id').where('c.status', 'in', ['valid', 'on_hold']))));
  if (after !== null) query = query.where('d.id', '>', after);
  return query.orderBy('d.id').limit(PAGE).execute();
}
