// Offline: the revocations a CRL request brings, checked and applied to the inventory of the
// instance that holds the CA's key, so its own ledger, OCSP and later CRLs agree with what
// the online instance decided. Every listed certificate must be one this CA signed (checked
// by signature, not taken from the request); one the ledger here does not hold (a data
// directory restored from an older backup) is still listed on the CRL, from the request.

import type { Context } from '../app/context.ts';
import type { Issuer } from '../ca/issuer.ts';
import { REVOCATION_REASONS } from '../ca/revocation-reasons.ts';
import { BadRequest, Conflict } from '../errors.ts';
import { getCertificateBySerial, updateCertificateStatus } from '../store/repos/certificates.ts';
import type { CertificateStatus } from '../store/schema.ts';
import { isSignedBy, parseCertificate } from '../x509/certificate.ts';
import type { ExtraEntry } from './crl-generate.ts';
import type { RequestedRevocation } from './offline-request.ts';

export interface AppliedRevocation {
  serial: string;
  certificateId: string;
  from: CertificateStatus;
  status: 'revoked' | 'on_hold';
  reason: string;
}

export interface RevocationPlan {
  changes: Array<AppliedRevocation & { entry: RequestedRevocation }>;
  /** Already revoked (or held, when the request holds it) here. */
  unchanged: string[];
  /** Not in the ledger here: listed on the CRL from the request. */
  extra: ExtraEntry[];
}

function checkCertificate(issuer: Issuer, entry: RequestedRevocation): string {
  let cert;
  try {
    cert = parseCertificate(Buffer.from(entry.certificate, 'base64'));
  } catch (error) {
    throw new BadRequest(`the CRL request's certificate for serial ${entry.serial} is not a certificate: ${(error as Error).message}`);
  }
  if (cert.serialHex !== entry.serial) throw new BadRequest(`the CRL request lists serial ${entry.serial} with the certificate of serial ${cert.serialHex}`);
  if (!cert.issuerDer.equals(issuer.cert.subjectDer) || !isSignedBy(cert.der, issuer.row.certificate_der)) {
    throw new BadRequest(`the CRL request lists serial ${entry.serial}, whose certificate CA ${issuer.row.name} did not sign`);
  }
  return cert.fingerprintSha256;
}

/** Reads only: what applying the request would change here. */
export async function planRevocations(ctx: Context, issuer: Issuer, entries: RequestedRevocation[]): Promise<RevocationPlan> {
  const plan: RevocationPlan = { changes: [], unchanged: [], extra: [] };
  for (const entry of entries) {
    const fingerprint = checkCertificate(issuer, entry);
    const known = await getCertificateBySerial(ctx.db, issuer.row.id, entry.serial);
    if (!known) {
      plan.extra.push({ serialHex: entry.serial, notAfter: entry.notAfter, revokedAt: entry.revokedAt, reasonCode: REVOCATION_REASONS[entry.reason] });
      continue;
    }
    if (known.fingerprint_sha256 !== fingerprint) throw new Conflict(`CA ${issuer.row.name} serial ${entry.serial} is another certificate here (${known.id}) than the one the CRL request lists`);
    // A revocation is final: a certificate revoked here stays so, whatever the request says of it.
    const to = known.status === 'valid' || (known.status === 'on_hold' && entry.status === 'revoked') ? entry.status : null;
    if (to === null) plan.unchanged.push(entry.serial);
    else plan.changes.push({ serial: entry.serial, certificateId: known.id, from: known.status, status: to, reason: entry.reason, entry });
  }
  return plan;
}

/**
 * One transaction, one certificate.revoke event per change (the online time and reason kept).
 * No 'revocation' event is emitted: the caller signs the CRLs itself right after, and a
 * listener in this process would only sign them a second time.
 */
export async function applyRevocations(ctx: Context, plan: RevocationPlan, actor: string, requestSha256: string): Promise<void> {
  if (plan.changes.length === 0) return;
  await ctx.ledger.submit(async (trx, audit) => {
    for (const change of plan.changes) {
      const row = await trx.selectFrom('certificates').select('status').where('id', '=', change.certificateId).executeTakeFirst();
      if (row?.status !== change.from) throw new Conflict(`certificate ${change.certificateId} changed while the CRL request was applied; run crl sign-request again`);
      await updateCertificateStatus(trx, change.certificateId, { status: change.status, revocation_reason: change.reason, revoked_at: change.entry.revokedAt });
      audit.push({
        actor,
        action: 'certificate.revoke',
        target: `certificate:${change.certificateId}`,
        outcome: 'success',
        details: { reason: change.reason, revokedAt: change.entry.revokedAt, source: 'crl request', requestSha256, onlineCertificateId: change.entry.certificateId },
      });
    }
  });
}
