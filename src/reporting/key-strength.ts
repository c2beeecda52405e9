// Which key types are below the floor fleetpki holds every certificate to, whatever its
// profile says: RSA under 2048 bits, and anything outside the families the CA knows (DSA,
// small or exotic curves). fleetpki never issues those, but certificates imported by the
// factory path or adopted from discovery may carry them.

import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

const STRONG = new Set(['ec-p256', 'ec-p384', 'ec-p521', 'ed25519', 'ed448']);
export const RSA_MIN_BITS = 2048;

export function isWeakKeyType(keyType: string): boolean {
  if (STRONG.has(keyType)) return false;
  const rsa = /^rsa-(\d+)$/.exec(keyType);
  return !rsa || Number(rsa[1]) < RSA_MIN_BITS;
}

/**
 * The distinct key types in the ledger, by a skip scan: each step asks the key_type index
 * for the next value above the last, so a million certificates with five key types cost
 * five index probes instead of a scan (both engines run this recursive form).
 */
export async function keyTypesPresent(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ k: string | null }>`
    with recursive t(k) as (
      select min(key_type) from certificates
      union all
      select (select min(key_type) from certificates where key_type > t.k) from t where t.k is not null
    )
    select k from t where k is not null`.execute(db);
  return rows.map((r) => r.k as string);
}

export async function weakKeyTypesPresent(db: Kysely<Database>): Promise<string[]> {
  return (await keyTypesPresent(db)).filter(isWeakKeyType);
}
