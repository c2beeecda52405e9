// Offline: `fleetpki ocsp sign-request`, on the instance that holds the key of a CA kept
// offline. The request from the online instance names the CA by its certificate's SHA-256
// and carries a PKCS#10 request signed by the responder key made there (proof of
// possession); the CA signs a delegated responder certificate for that key
// (signer-certificate.ts: OCSPSigning, id-pkix-ocsp-nocheck), valid for the days asked and
// never past the CA's own notAfter. id-pkix-ocsp-nocheck means nobody can revoke it in
// practice, so its life is kept short: at most MAX_RESPONDER_DAYS. No ledger row can hold it
// here (the key is not here); the audit event carries the whole certificate instead.

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import type { Issuer } from '../ca/issuer.ts';
import { BadRequest, NotFound, PolicyDenied } from '../errors.ts';
import { listCas } from '../store/repos/cas.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { parseCsr } from '../x509/csr.ts';
import { toPem } from '../x509/pem.ts';
import type { ResponderRequestFile } from './offline-request.ts';
import { responderValidity, signResponderCertificate } from './signer-certificate.ts';

export const DEFAULT_RESPONDER_DAYS = 30;
/** A quarter: a responder certificate with nocheck cannot be withdrawn, only outlived. */
export const MAX_RESPONDER_DAYS = 92;

export interface ResponderSignResult {
  /** The CA's name here, and on the online instance. */
  ca: string;
  onlineName: string;
  requestSha256: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  pem: string;
  /** SHA-256 of the PEM text: the bytes of the file written. */
  sha256: string;
}

async function caOfRequest(ctx: Context, file: ResponderRequestFile): Promise<Issuer> {
  const { ca } = file.request;
  const row = (await listCas(ctx.db)).find((r) => sha256Hex(r.certificate_der) === ca.certificateSha256);
  if (!row) throw new NotFound(`the OCSP responder request is for CA ${ca.name} ("${ca.subject}"), whose certificate no CA here has: run ocsp sign-request on the instance that holds its key`);
  const issuer = await ctx.cas.get(row.id);
  if (!issuer.hasKey) throw new PolicyDenied(`CA ${row.name} has no key here either: run ocsp sign-request on the instance that holds its key`);
  return issuer;
}

function validity(issuer: Issuer, days: number, now: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(days) || days < 1 || days > MAX_RESPONDER_DAYS) throw new BadRequest(`--days must be a whole number from 1 to ${MAX_RESPONDER_DAYS}, not ${days}`);
  const { notBefore, notAfter } = responderValidity(issuer, now, days);
  if (notAfter.getTime() <= now.getTime()) throw new PolicyDenied(`CA ${issuer.row.name} expired at ${issuer.cert.notAfter.toISOString()}: it can vouch for no responder`);
  return { notBefore, notAfter };
}

export async function signResponderRequest(ctx: Context, file: ResponderRequestFile, days: number, actor: string, now = new Date()): Promise<ResponderSignResult> {
  return audited(ctx, actor, 'ocsp.sign-request', `ca:${file.request.ca.name}`, async () => {
    const csr = await parseCsr(file.request.csr);
    const issuer = await caOfRequest(ctx, file);
    const caSigner = issuer.signer(ctx.passphrase);
    const { notBefore, notAfter } = validity(issuer, days, now);
    const { der, serial } = await signResponderCertificate({ issuer, caSigner, spki: csr.spkiDer, key: csr.key, notBefore, notAfter });
    const pem = toPem(der, 'CERTIFICATE');
    const result: ResponderSignResult = {
      ca: issuer.row.name,
      onlineName: file.request.ca.name,
      requestSha256: file.sha256,
      serial: serial.hex,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      pem,
      sha256: sha256Hex(Buffer.from(pem)),
    };
    const { pem: _, ...details } = result;
    // Recorded before it is returned: the certificate itself is in the event.
    await ctx.ledger.audit([{ actor, action: 'ocsp.sign-request', target: `ca:${issuer.row.name}`, outcome: 'success', details: { ...details, requestId: file.request.requestId, spkiSha256: sha256Hex(csr.spkiDer), certificate: der.toString('base64') } }]);
    return result;
  });
}
