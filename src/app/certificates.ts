// Certificate operations as the front ends see them. One issuing path for every protocol:
// parse -> RA approval -> CA issuance, refusals audited on the way out.

import { issueCertificate } from '../ca/issue.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../ca/revocation-reasons.ts';
import { BadRequest, Conflict, NotFound } from '../errors.ts';
import { approve } from '../ra/approve.ts';
import type { Validator } from '../ra/validators.ts';
import type { Work } from '../store/group-commit.ts';
import { getCertificate as getRow, updateCertificateStatus } from '../store/repos/certificates.ts';
import { getDevice } from '../store/repos/devices.ts';
import type { Kysely } from 'kysely';
import type { CertificatesTable, Database } from '../store/schema.ts';
import { parseCsr } from '../x509/csr.ts';
import type { Context } from './context.ts';
import { getProfile } from './profiles.ts';
import { audited } from './refusal.ts';

export interface IssueInput {
  csr: string | Uint8Array;
  profile: string;
  deviceId: string;
  /** The certificate this one renews; must belong to the same device. */
  replaces?: string | null;
  /** Extra RA checks from an enrollment authoriser (src/ra/authorisers). */
  validators?: Validator[];
  /** Runs in the transaction that records the certificate; throwing there discards it (a one-time token already used). */
  precondition?: Work<void>;
}

async function replacedCertificate(ctx: Context, id: string | null | undefined, deviceId: string): Promise<string | null> {
  if (!id) return null;
  const old = await getRow(ctx.db, id);
  if (!old) throw new NotFound(`certificate ${id} to be replaced does not exist`);
  if (old.device_id !== deviceId) throw new BadRequest(`certificate ${id} belongs to another device`);
  return old.id;
}

export async function issueFromCsr(ctx: Context, input: IssueInput, actor: string): Promise<CertificatesTable> {
  return audited(ctx, actor, 'certificate.issue', `device:${input.deviceId}`, async () => {
    const csr = await parseCsr(input.csr);
    const profile = await getProfile(ctx, input.profile).catch((error) => {
      throw error instanceof NotFound ? new BadRequest(`unknown profile ${input.profile}`) : error;
    });
    const device = await getDevice(ctx.db, input.deviceId);
    if (!device) throw new NotFound(`no device with id ${input.deviceId}`);
    const issuer = await ctx.cas.byName(profile.ca);
    const replacesId = await replacedCertificate(ctx, input.replaces, device.id);
    const approved = approve({
      ctx: { csr, profile, device, issuer: issuer.row },
      issuerNotBefore: issuer.cert.notBefore,
      issuerNotAfter: issuer.cert.notAfter,
      now: new Date(),
      replacesId,
      validators: input.validators,
    });
    return issueCertificate({ ledger: ctx.ledger, issuer: (id) => ctx.cas.get(id), passphrase: ctx.passphrase }, approved, actor, input.precondition);
  });
}

export async function getCertificate(ctx: Context, id: string): Promise<CertificatesTable> {
  const row = await getRow(ctx.db, id);
  if (!row) throw new NotFound(`no certificate with id ${id}`);
  return row;
}

export function parseReason(reason: string | undefined): RevocationReason {
  const name = (reason ?? 'unspecified') as RevocationReason;
  if (!(name in REVOCATION_REASONS)) {
    throw new BadRequest(`unknown revocation reason ${reason}; use one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
  }
  return name;
}

export interface RevokeOptions {
  /** Revocation time (the lifecycle's clock); default now. */
  now?: Date;
  /** What must still hold where the row is changed (an orphan's device still retired); throwing refuses the revocation. */
  precondition?: (trx: Kysely<Database>, row: CertificatesTable) => Promise<void>;
  /** Added to the audit event (why an automated revocation happened). */
  details?: Record<string, unknown>;
}

/** Revokes (or, with certificateHold, suspends) a certificate. Revoking twice is a conflict. */
export async function revokeCertificate(ctx: Context, id: string, reasonName: string | undefined, actor: string, options: RevokeOptions = {}): Promise<CertificatesTable> {
  return audited(ctx, actor, 'certificate.revoke', `certificate:${id}`, async () => {
    const reason = parseReason(reasonName);
    const now = (options.now ?? new Date()).toISOString();
    const status = reason === 'certificateHold' ? 'on_hold' : 'revoked';
    await ctx.ledger.submit(async (trx) => {
      const row = await getRow(trx, id);
      if (!row) throw new NotFound(`no certificate with id ${id}`);
      if (row.status === 'revoked') throw new Conflict(`certificate ${id} is already revoked (${row.revocation_reason})`);
      if (row.status === 'on_hold' && status === 'on_hold') throw new Conflict(`certificate ${id} is already on hold`);
      if (options.precondition) await options.precondition(trx, row);
      await updateCertificateStatus(trx, id, { status, revocation_reason: reason, revoked_at: now });
    }, [{ actor, action: 'certificate.revoke', target: `certificate:${id}`, outcome: 'success', details: { ...options.details, reason } }]);
    const row = await getCertificate(ctx, id);
    ctx.events.emit('revocation', { issuerIds: [row.issuer_id], certificateIds: [row.id] });
    return row;
  });
}

/**
 * Ends a suspension: an on_hold certificate becomes valid again and leaves the next CRL
 * (RFC 5280 5.3.1 certificateHold). Anything else is a conflict: a revocation is final.
 */
export async function releaseCertificate(ctx: Context, id: string, actor: string): Promise<CertificatesTable> {
  return audited(ctx, actor, 'certificate.release', `certificate:${id}`, async () => {
    await ctx.ledger.submit(async (trx, audit) => {
      const row = await getRow(trx, id);
      if (!row) throw new NotFound(`no certificate with id ${id}`);
      if (row.status !== 'on_hold') throw new Conflict(`certificate ${id} is ${row.status}, not on hold; only a held certificate can be released`);
      audit[0].details = { heldSince: row.revoked_at };
      await updateCertificateStatus(trx, id, { status: 'valid', revocation_reason: null, revoked_at: null });
    }, [{ actor, action: 'certificate.release', target: `certificate:${id}`, outcome: 'success', details: {} }]);
    const row = await getCertificate(ctx, id);
    ctx.events.emit('revocation', { issuerIds: [row.issuer_id], certificateIds: [row.id] });
    return row;
  });
}
