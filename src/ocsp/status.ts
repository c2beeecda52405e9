// What the ledger says about one serial of one CA, in OCSP's terms (RFC 6960 2.2): good,
// revoked (on hold answers revoked with reason certificateHold), or unknown when the CA never
// issued it. A CA's subordinate CA certificates are in the cas table, not the ledger.

import type { Kysely } from 'kysely';
import { REVOCATION_REASONS, type RevocationReason } from '../ca/revocation-reasons.ts';
import type { CertificatesTable, Database } from '../store/schema.ts';
import type { CertStatus } from '../x509/ocsp.ts';
import { fromStore } from './errors.ts';

export interface SerialStatus {
  status: CertStatus;
  /** The ledger row, so that a revocation event can find the responses to replace. */
  certificateId: string | null;
}

type StatusColumns = Pick<CertificatesTable, 'status' | 'revocation_reason' | 'revoked_at' | 'created_at'>;

/** RFC 5280 5.3.1: rather than the reason "unspecified", leave the reason out. */
function reasonCode(reason: string | null): number | null {
  if (!reason || reason === 'unspecified' || !(reason in REVOCATION_REASONS)) return null;
  return REVOCATION_REASONS[reason as RevocationReason];
}

export function certStatus(row: StatusColumns): CertStatus {
  if (row.status === 'valid') return { kind: 'good' };
  const reason = row.status === 'on_hold' ? 'certificateHold' : row.revocation_reason;
  return { kind: 'revoked', at: new Date(row.revoked_at ?? row.created_at), reason: reasonCode(reason) };
}

export async function lookupStatus(db: Kysely<Database>, caId: string, serialHex: string): Promise<SerialStatus> {
  const row = await fromStore(() =>
    db
      .selectFrom('certificates')
      .select(['id', 'status', 'revocation_reason', 'revoked_at', 'created_at'])
      .where('issuer_id', '=', caId)
      .where('serial_hex', '=', serialHex)
      .executeTakeFirst(),
  );
  if (row) return { status: certStatus(row), certificateId: row.id };
  const childCa = await fromStore(() => db.selectFrom('cas').select('id').where('parent_id', '=', caId).where('serial_hex', '=', serialHex).executeTakeFirst());
  return { status: childCa ? { kind: 'good' } : { kind: 'unknown' }, certificateId: null };
}

/** Certificates revoked or put on hold at or after `since` (by any process sharing the store). */
export async function revokedSince(db: Kysely<Database>, since: Date): Promise<Array<{ id: string; revoked_at: string | null }>> {
  return fromStore(() =>
    db.selectFrom('certificates').select(['id', 'revoked_at']).where('status', 'in', ['revoked', 'on_hold']).where('revoked_at', '>=', since.toISOString()).execute(),
  );
}

/** Which of these certificates are valid again (released from hold). */
export async function releasedAmong(db: Kysely<Database>, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await fromStore(() => db.selectFrom('certificates').select('id').where('id', 'in', ids).where('status', '=', 'valid').execute());
  return rows.map((row) => row.id);
}
