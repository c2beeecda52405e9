// Asks the signer's CA's OCSP responder whether the signer's certificate is revoked. The
// answer counts only if the CA signed it, or a responder certificate the CA issued for
// OCSP signing (RFC 6960 4.2.2.2), and only while it is current.

import { verify, X509Certificate } from 'node:crypto';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { certificateUsage } from '../x509/cert-usage.ts';
import { x509SignatureDigest } from '../x509/cms-algorithms.ts';
import { encodeOcspRequest, readOcspResponse, type OcspBasicResponse } from '../x509/ocsp-client.ts';
import { OID } from '../x509/oids.ts';
import { refuse } from './refusal.ts';
import { CLOCK_SKEW_MS, type TrustedCa } from './trust.ts';

export interface OcspAnswer {
  source: 'ocsp';
  url: string;
  thisUpdate: string;
  nextUpdate: string;
}

const TIMEOUT_MS = 5_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

async function post(url: string, request: Buffer): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body: request, headers: { 'content-type': 'application/ocsp-request' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw refuse('revocation', `the OCSP responder at ${url} could not be reached: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw refuse('revocation', `the OCSP responder at ${url} answered HTTP ${response.status}`);
  if (body.length > MAX_RESPONSE_BYTES) throw refuse('revocation', `the OCSP response from ${url} is larger than ${MAX_RESPONSE_BYTES} bytes`);
  return body;
}

function signedWith(response: OcspBasicResponse, key: CertificateInfo): boolean {
  const digest = x509SignatureDigest(response.signatureOid, key.publicKey.asymmetricKeyType);
  return verify(digest, response.tbs, key.publicKey, response.signature);
}

/** A delegated responder: issued by the CA, OCSPSigning usage, valid now. */
function delegatedResponder(der: Buffer, ca: TrustedCa, now: Date): CertificateInfo | null {
  const cert = parseCertificate(der);
  if (!cert.issuerDer.equals(ca.info.subjectDer) || !new X509Certificate(der).verify(ca.x509.publicKey)) return null;
  if (!certificateUsage(der).extKeyUsages?.includes(OID.kpOcspSigning)) return null;
  return now >= cert.notBefore && now <= cert.notAfter ? cert : null;
}

function assertAuthorised(response: OcspBasicResponse, ca: TrustedCa, now: Date): void {
  if (signedWith(response, ca.info)) return;
  for (const der of response.certificates) {
    const responder = delegatedResponder(der, ca, now);
    if (responder && signedWith(response, responder)) return;
  }
  throw refuse('revocation', `the OCSP response is not signed by ${ca.info.subject} or a responder it authorised`);
}

export async function checkOcsp(url: string, signer: CertificateInfo, ca: TrustedCa, now: Date): Promise<OcspAnswer> {
  const response = readOcspResponse(await post(url, encodeOcspRequest(signer, ca.info)), signer, ca.info);
  assertAuthorised(response, ca, now);
  const single = response.single;
  if (!single) throw refuse('revocation', `the OCSP response from ${url} does not answer for the signer certificate`);
  if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) throw refuse('revocation', 'the OCSP response is dated in the future');
  // RFC 5019 2.2.4: a response without nextUpdate says nothing about how long it holds.
  if (!single.nextUpdate || single.nextUpdate < now) throw refuse('revocation', `the OCSP response from ${url} is out of date or has no nextUpdate`);
  if (single.status.kind === 'revoked') {
    throw refuse('revoked', `the signer certificate ${signer.subject} (serial ${signer.serialHex}) was revoked on ${single.status.at.toISOString()} (OCSP)`);
  }
  if (single.status.kind === 'unknown') throw refuse('revocation', `the OCSP responder at ${url} does not know the signer certificate`);
  return { source: 'ocsp', url, thisUpdate: single.thisUpdate.toISOString(), nextUpdate: single.nextUpdate.toISOString() };
}
