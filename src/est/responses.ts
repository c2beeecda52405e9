// EST bodies as RFC 7030 and RFC 8951 have them: base64 of DER (in 64-character lines, which
// `openssl base64 -d` reads), certs-only CMS for certificates, multipart/mixed for a
// server-generated key and its certificate.

import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { encodeCertsOnly } from '../x509/pkcs7.ts';

export const CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';
export const CSRATTRS = 'application/csrattrs';
export const PKCS8 = 'application/pkcs8';

/**
 * fleetpki's extension header on every issued certificate: the instant the inventory counts
 * it due for renewal (the profile's renewAfter fraction of its lifetime), as RFC 3339. A
 * client (fleetpki-agent) renews from then on, in step with the server's renewal-due checks,
 * instead of guessing the fraction. Other EST clients ignore it.
 */
export const RENEW_AFTER_HEADER = 'fleetpki-renew-after';

export function base64Lines(der: Uint8Array, eol = '\n'): string {
  const b64 = Buffer.from(der).toString('base64');
  return (b64.match(/.{1,64}/g) ?? []).join(eol) + eol;
}

export function sendBase64(reply: FastifyReply, contentType: string, der: Uint8Array): FastifyReply {
  return reply.code(200).header('content-type', contentType).header('content-transfer-encoding', 'base64').send(base64Lines(der));
}

export function sendCertsOnly(reply: FastifyReply, certificates: Uint8Array[]): FastifyReply {
  return sendBase64(reply, CERTS_ONLY, encodeCertsOnly(certificates));
}

/** RFC 7030 4.4.2: the key part first, then the certificate part, each base64 with its own headers. */
export function sendKeyAndCertificate(reply: FastifyReply, pkcs8: Uint8Array, certificate: Uint8Array): FastifyReply {
  const boundary = `fleetpki-${randomBytes(12).toString('hex')}`;
  const part = (type: string, der: Uint8Array) => `--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(der, '\r\n')}`;
  const body = part(PKCS8, pkcs8) + part(CERTS_ONLY, encodeCertsOnly([certificate])) + `--${boundary}--\r\n`;
  // The body carries a private key: no cache may keep it.
  return reply.code(200).header('content-type', `multipart/mixed; boundary=${boundary}`).header('cache-control', 'no-store').send(body);
}
