// The CRL request: the file the online instance writes for a CA whose key is kept offline
// (`fleetpki crl request`), carried to the instance that holds the key (`fleetpki crl
// sign-request`). It says what that CA's next CRL must list: every certificate of the CA
// revoked or held here, with the certificate itself so the offline side can check that its
// CA signed it, and the CRL number the next CRLs must exceed to be accepted back here.
//
// The file is not signed (the online instance shares no key with the offline one), so its
// SHA-256 is printed and audited on both sides for the operator to compare. A revocation
// left out of it on the way is caught at import: `crl import` refuses a CRL that omits one.

import Type, { type Static } from 'typebox';
import type { Context } from '../app/context.ts';
import { parseOfflineFile } from '../app/offline-file.ts';
import { audited } from '../app/refusal.ts';
import type { Issuer } from '../ca/issuer.ts';
import { REVOCATION_REASON_NAMES, type RevocationReason } from '../ca/revocation-reasons.ts';
import { BadRequest, PolicyDenied } from '../errors.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { highestCrlNumber } from './crl-rows.ts';

export const CRL_REQUEST_FORMAT = 'fleetpki-crl-request/1';
const MAX_REQUEST_BYTES = 256 * 1024 * 1024;
const HOUR_MS = 3_600_000;
/**
 * Revocations of certificates expired longer ago than the longest CRL validity the
 * configuration allows (crl.validityHours, at most 31 days) are on no CRL any more, whatever
 * the offline instance's own validity: they are left out of the request.
 */
const LONGEST_RETENTION_MS = 24 * 31 * HOUR_MS;

const Iso = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' });

const RevocationSchema = Type.Object(
  {
    /** Hex of the certificate's serial, lower case, as the inventory stores it. */
    serial: Type.String({ pattern: '^[0-9a-f]{1,40}$' }),
    status: Type.Enum(['revoked', 'on_hold']),
    reason: Type.Enum(REVOCATION_REASON_NAMES),
    revokedAt: Iso,
    notAfter: Iso,
    /** Its id in the online inventory, for the offline audit trail. */
    certificateId: Type.String({ minLength: 1, maxLength: 64 }),
    /** The certificate (DER, base64): the offline side checks that its CA signed it. */
    certificate: Type.String({ minLength: 1, maxLength: 64 * 1024, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  { additionalProperties: false },
);

export const CrlRequestSchema = Type.Object(
  {
    format: Type.Literal(CRL_REQUEST_FORMAT),
    createdAt: Iso,
    ca: Type.Object(
      {
        /** Its name on the online instance (the offline instance may call it otherwise). */
        name: Type.String({ minLength: 1, maxLength: 64 }),
        subject: Type.String(),
        /** SHA-256 of the CA certificate's DER: how the offline instance finds the CA. */
        certificateSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      },
      { additionalProperties: false },
    ),
    /** Where the online instance serves CRLs: `<publicUrl>/crl/<ca.name>...`. */
    publicUrl: Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' }),
    /** The highest CRL number stored online for the CA; the CRLs brought back must exceed it. */
    crlNumberAbove: Type.Integer({ minimum: 0 }),
    revocations: Type.Array(RevocationSchema),
  },
  { additionalProperties: false },
);

export type CrlRequest = Static<typeof CrlRequestSchema>;
export type RequestedRevocation = CrlRequest['revocations'][number];

export interface CrlRequestFile {
  request: CrlRequest;
  bytes: Buffer;
  sha256: string;
}

async function revocationsOf(ctx: Context, issuer: Issuer, now: Date): Promise<RequestedRevocation[]> {
  const rows = await ctx.db
    .selectFrom('certificates')
    .select(['id', 'serial_hex', 'status', 'revocation_reason', 'revoked_at', 'not_after', 'der'])
    .where('issuer_id', '=', issuer.row.id)
    .where('status', 'in', ['revoked', 'on_hold'])
    .where('not_after', '>=', new Date(now.getTime() - LONGEST_RETENTION_MS).toISOString())
    .orderBy('serial_hex')
    .execute();
  return rows.map((row) => ({
    serial: row.serial_hex,
    status: row.status as 'revoked' | 'on_hold',
    reason: (row.status === 'on_hold' ? 'certificateHold' : (row.revocation_reason ?? 'unspecified')) as RevocationReason,
    // A row written by fleetpki always has its revocation time; `now` only stands in for one that has none.
    revokedAt: row.revoked_at ?? now.toISOString(),
    notAfter: row.not_after,
    certificateId: row.id,
    certificate: row.der.toString('base64'),
  }));
}

/** Online: the request for the next CRL of an offline CA, audited as crl.request. */
export async function buildCrlRequest(ctx: Context, caName: string, actor: string, now = new Date()): Promise<CrlRequestFile> {
  return audited(ctx, actor, 'crl.request', `ca:${caName}`, async () => {
    const issuer = await ctx.cas.byName(caName);
    if (issuer.hasKey) throw new PolicyDenied(`CA ${caName} holds its key here and signs its own CRLs (fleetpki crl generate); a CRL request is for a CA kept offline`);
    const request: CrlRequest = {
      format: CRL_REQUEST_FORMAT,
      createdAt: now.toISOString(),
      ca: { name: issuer.row.name, subject: issuer.cert.subject, certificateSha256: issuer.cert.fingerprintSha256 },
      publicUrl: issuer.publicUrl,
      crlNumberAbove: await highestCrlNumber(ctx.db, issuer.row.id),
      revocations: await revocationsOf(ctx, issuer, now),
    };
    const bytes = Buffer.from(`${JSON.stringify(request, null, 2)}\n`);
    const digest = sha256Hex(bytes);
    const details = { sha256: digest, revocations: request.revocations.length, crlNumberAbove: request.crlNumberAbove };
    await ctx.ledger.audit([{ actor, action: 'crl.request', target: `ca:${caName}`, outcome: 'success', details }]);
    return { request, bytes, sha256: digest };
  });
}

/** Offline: the request file read back, its shape checked before anything is done with it. */
export function parseCrlRequest(bytes: Buffer): CrlRequestFile {
  const request = parseOfflineFile(bytes, CrlRequestSchema, { name: 'CRL request', article: 'a', format: CRL_REQUEST_FORMAT, maxBytes: MAX_REQUEST_BYTES });
  const serials = new Set<string>();
  for (const entry of request.revocations) {
    if (serials.has(entry.serial)) throw new BadRequest(`the CRL request lists serial ${entry.serial} twice`);
    serials.add(entry.serial);
  }
  return { request, bytes, sha256: sha256Hex(bytes) };
}
