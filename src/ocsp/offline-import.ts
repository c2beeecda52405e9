// Online: `fleetpki ocsp import`, the end of the responder round trip of a CA kept offline.
// The certificate is judged against what is known here, never against what it claims: the CA
// it names by authority key identifier, that CA's subject as its issuer and that CA's key for
// its signature; OCSPSigning and id-pkix-ocsp-nocheck, not a CA; valid now and inside the
// CA's validity; later than the CA's current responder (an older or replayed one is
// refused); and for a key of a request made here (the sealed key must open and match). Only
// then is it stored as the CA's signer in ocsp_signers, under the request's id with the
// request's sealed key, and the request is consumed in the same transaction. The responder
// picks it up (SignerPool.pickUpImported). Any refusal stores nothing and is audited.

import { createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, id_ce_authorityKeyIdentifier, KeyUsageFlags } from '@peculiar/asn1-x509';
import type { Kysely } from 'kysely';
import type { Context } from '../app/context.ts';
import { BadRequest, Conflict, FleetPkiError, NotFound, PolicyDenied } from '../errors.ts';
import { KeyUnsealError, unsealPrivateKey } from '../signer/sealed-key.ts';
import { listCas, type CaRow } from '../store/repos/cas.ts';
import { deleteOcspSignerRequest, pendingOcspSignerRequest, type OcspSignerRequestRow } from '../store/repos/ocsp-signer-requests.ts';
import { insertOcspSigner, latestOcspSigner } from '../store/repos/ocsp-signers.ts';
import type { Database } from '../store/schema.ts';
import { certificateUsage } from '../x509/cert-usage.ts';
import { isSignedBy, parseCertificate, sha256Hex, type CertificateInfo } from '../x509/certificate.ts';
import { authorityKeyIdHex, extensionValue } from '../x509/extensions.ts';
import { OCSP_OID } from '../x509/ocsp.ts';
import { OID } from '../x509/oids.ts';

/** A clock a little ahead on the offline machine is not a forgery. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_FILE_BYTES = 64 * 1024;

export interface ResponderImportReport {
  ca: string;
  signer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the file as read, to compare with what ocsp sign-request printed. */
  sha256: string;
  /** notAfter of the signer it takes over from, if any. */
  replaces: string | null;
}

interface Judged {
  ca: CaRow;
  cert: CertificateInfo;
  request: OcspSignerRequestRow;
}

function authorityKeyId(der: Buffer): string {
  const extensions = AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? [];
  const aki = extensions.find((e) => e.extnID === id_ce_authorityKeyIdentifier);
  let keyId;
  try {
    keyId = aki && authorityKeyIdHex(extensionValue(aki));
  } catch (error) {
    throw new BadRequest(`malformed authority key identifier: ${(error as Error).message}`);
  }
  if (!keyId) throw new BadRequest('the certificate has no authority key identifier, so the CA that signed it cannot be told');
  return keyId;
}

function caOf(cert: CertificateInfo, cas: CaRow[]): CaRow {
  const keyId = authorityKeyId(cert.der);
  const ca = cas.find((c) => c.ski_hex === keyId);
  if (!ca) throw new NotFound(`the certificate is signed by no CA known here (authority key identifier ${keyId}): a responder certificate of another CA, or of a CA not imported yet`);
  const caCert = parseCertificate(ca.certificate_der);
  if (!cert.issuerDer.equals(caCert.subjectDer)) throw new BadRequest(`the certificate's issuer is "${cert.issuer}", not "${caCert.subject}", the subject of CA ${ca.name}, whose key identifier it names`);
  if (!isSignedBy(cert.der, ca.certificate_der)) throw new BadRequest(`the certificate's signature does not verify with the key of CA ${ca.name}`);
  if (ca.encrypted_key !== null) throw new PolicyDenied(`CA ${ca.name} holds its key here and issues its own OCSP responder certificates; only those of a CA kept offline are imported`);
  return ca;
}

/** What makes it a delegated responder certificate (RFC 6960 4.2.2.2) and nothing more. */
function checkResponderProfile(cert: CertificateInfo): void {
  const usage = certificateUsage(cert.der);
  if (cert.isCa) throw new BadRequest('the certificate is a CA certificate, not a responder certificate');
  if (!usage.extKeyUsages?.includes(OID.kpOcspSigning)) throw new BadRequest('the certificate lacks the extended key usage OCSPSigning: relying parties would not accept responses it signs');
  const extensions = AsnConvert.parse(cert.der, Certificate).tbsCertificate.extensions ?? [];
  if (!extensions.some((e) => e.extnID === OCSP_OID.noCheck)) throw new BadRequest('the certificate lacks id-pkix-ocsp-nocheck: relying parties would ask about the responder\'s own status, which nobody can answer for an offline CA');
  if (usage.keyUsage !== null && (usage.keyUsage & KeyUsageFlags.digitalSignature) === 0) throw new BadRequest('the certificate\'s key usage lacks digitalSignature');
}

function checkTimes(cert: CertificateInfo, ca: CaRow, now: Date): void {
  const caCert = parseCertificate(ca.certificate_der);
  if (cert.notBefore.getTime() > now.getTime() + CLOCK_SKEW_MS) throw new BadRequest(`the certificate is valid only from ${cert.notBefore.toISOString()}: check the offline machine's clock`);
  if (cert.notAfter.getTime() <= now.getTime()) throw new BadRequest(`the certificate expired at ${cert.notAfter.toISOString()}: sign a new one offline (fleetpki ocsp request, then ocsp sign-request)`);
  if (cert.notBefore < caCert.notBefore || cert.notAfter > caCert.notAfter) throw new BadRequest(`the certificate is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, outside CA ${ca.name}'s own validity`);
}

/** A replayed or older certificate: the new signer must outlast the current one. */
async function assertNewer(db: Kysely<Database>, ca: CaRow, cert: CertificateInfo): Promise<string | null> {
  const latest = await latestOcspSigner(db, ca.id);
  if (!latest) return null;
  if (latest.certificate_der.equals(cert.der)) throw new Conflict(`this responder certificate of CA ${ca.name} is already imported (signer ${latest.id})`);
  if (cert.notAfter.getTime() <= Date.parse(latest.not_after)) {
    throw new Conflict(`CA ${ca.name} already has a responder certificate valid until ${latest.not_after}; this one ends at ${cert.notAfter.toISOString()}: an old certificate brought again, or one signed before the last import`);
  }
  return latest.not_after;
}

async function pendingRequest(ctx: Context, ca: CaRow, cert: CertificateInfo): Promise<OcspSignerRequestRow> {
  const request = await pendingOcspSignerRequest(ctx.db, ca.id, cert.spkiSha256);
  if (!request) throw new NotFound(`no OCSP responder request of CA ${ca.name} is waiting here for this certificate's key (spki sha256 ${cert.spkiSha256}): it was made for another request, or that request was imported already`);
  let key;
  try {
    key = unsealPrivateKey(request.encrypted_key, ctx.passphrase(), request.id);
  } catch (error) {
    if (error instanceof KeyUnsealError) throw new PolicyDenied(`the sealed key of OCSP responder request ${request.id} does not open with this instance's passphrase`);
    throw error;
  }
  if (!createPublicKey(key).export({ format: 'der', type: 'spki' }).equals(cert.spkiDer)) throw new Conflict(`the sealed key of OCSP responder request ${request.id} is not the certificate's key`);
  return request;
}

async function judge(ctx: Context, bytes: Buffer, now: Date): Promise<Judged> {
  if (bytes.length > MAX_FILE_BYTES) throw new BadRequest(`the file is ${bytes.length} bytes, more than the ${MAX_FILE_BYTES} a responder certificate is accepted with`);
  const cert = parseCertificate(bytes);
  const ca = caOf(cert, await listCas(ctx.db));
  checkResponderProfile(cert);
  checkTimes(cert, ca, now);
  await assertNewer(ctx.db, ca, cert);
  return { ca, cert, request: await pendingRequest(ctx, ca, cert) };
}

export async function importResponderCertificate(ctx: Context, file: { path: string; bytes: Buffer }, actor: string, now = new Date()): Promise<ResponderImportReport> {
  const sha256 = sha256Hex(file.bytes);
  try {
    const { ca, cert, request } = await judge(ctx, file.bytes, now);
    const report: ResponderImportReport = { ca: ca.name, signer: request.id, serial: cert.serialHex, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString(), sha256, replaces: null };
    await ctx.ledger.submit(async (trx, audit) => {
      // Another import may have stored a later signer, or consumed the request, since the checks.
      report.replaces = await assertNewer(trx, ca, cert);
      if (!(await deleteOcspSignerRequest(trx, request.id))) throw new Conflict(`OCSP responder request ${request.id} was imported meanwhile`);
      await insertOcspSigner(trx, { id: request.id, ca_id: ca.id, certificate_der: cert.der, encrypted_key: request.encrypted_key, not_before: report.notBefore, not_after: report.notAfter, created_at: now.toISOString() });
      const { ca: _, ...details } = report;
      audit.push({ actor, action: 'ocsp.import', target: `ca:${ca.name}`, outcome: 'success', details: { ...details, file: file.path, fingerprint: sha256Hex(cert.der) } });
    });
    return report;
  } catch (error) {
    if (error instanceof FleetPkiError) {
      await ctx.ledger.audit([{ actor, action: 'ocsp.import', target: null, outcome: 'refused', details: { code: error.code, reason: error.message, file: file.path, sha256 } }]);
    }
    throw error;
  }
}
