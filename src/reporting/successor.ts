// "Has this certificate been renewed?", the same rule as the lifecycle's
// (src/lifecycle/certificate-queries.ts): a certificate, not revoked, replaces it
// (replaces_id), or the same device got one later under the same profile (a re-enrolment
// instead of a renewal). Written as two EXISTS rather than one OR so that each side is one
// index range: replaces_id, and (device_id, profile, created_at) from migration 008.

import { sql, type RawBuilder, type SqlBool } from 'kysely';

/** For a query whose certificates are aliased `c`. */
export function renewedSql(): RawBuilder<SqlBool> {
  return sql<SqlBool>`(exists (select 1 from certificates s where s.replaces_id = c.id and s.status <> 'revoked')
    or exists (select 1 from certificates s where s.device_id = c.device_id and s.profile = c.profile and s.created_at > c.created_at and s.status <> 'revoked'))`;
}

export function notRenewedSql(): RawBuilder<SqlBool> {
  return sql<SqlBool>`not ${renewedSql()}`;
}
