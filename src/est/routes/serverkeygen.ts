// POST /serverkeygen (RFC 7030 4.4): as simpleenroll, but fleetpki makes the key. The answer
// is multipart/mixed: the private key as unencrypted PKCS#8, protected by the TLS channel
// only (RFC 7030 4.4.2 without additional encryption), then the certificate.

import type { Context } from '../../app/context.ts';
import { enrollWithServerKey } from '../../app/server-keygen.ts';
import { operationPaths } from '../labels.ts';
import { RENEW_AFTER_HEADER, sendKeyAndCertificate } from '../responses.ts';
import type { EstApp } from '../types.ts';
import { enrollmentRequest } from './enroll.ts';

export function serverkeygenRoutes(app: EstApp, ctx: Context): void {
  for (const url of operationPaths('serverkeygen')) {
    app.post(url, async (request, reply) => {
      const { certificate, privateKey } = await enrollWithServerKey(ctx, await enrollmentRequest(ctx, request, 'serverkeygen'), request.body as Buffer);
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      try {
        return sendKeyAndCertificate(reply.header(RENEW_AFTER_HEADER, certificate.renew_after), pkcs8, certificate.der);
      } finally {
        pkcs8.fill(0);
      }
    });
  }
}
