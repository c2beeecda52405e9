// POST /simpleenroll and /simplereenroll (RFC 7030 4.2): a base64 PKCS#10 request in, the
// issued certificate out as certs-only CMS. Who may enrol is the RA's enrollment
// authorisers' decision (src/ra/authorisers), what is issued the profile's.

import type { FastifyRequest } from 'fastify';
import type { Context } from '../../app/context.ts';
import { enroll } from '../../app/enrollment.ts';
import type { EnrollmentOperation, EnrollmentRequest } from '../../ra/authorisers/index.ts';
import { credentialsOf } from '../credentials.ts';
import { labelOf, labelProfile, operationPaths } from '../labels.ts';
import { RENEW_AFTER_HEADER, sendCertsOnly } from '../responses.ts';
import type { EstApp } from '../types.ts';

/** The request as the RA sees it; an unknown label is refused (404) before any credential is looked at. */
export async function enrollmentRequest(ctx: Context, request: FastifyRequest, operation: EnrollmentOperation): Promise<EnrollmentRequest> {
  const label = labelOf(request);
  await labelProfile(ctx, label);
  return { operation, label, credentials: credentialsOf(request), now: new Date(), from: request.ip };
}

export function enrollRoutes(app: EstApp, ctx: Context): void {
  for (const operation of ['simpleenroll', 'simplereenroll'] as const) {
    for (const url of operationPaths(operation)) {
      app.post(url, async (request, reply) => {
        const certificate = await enroll(ctx, await enrollmentRequest(ctx, request, operation), request.body as Buffer);
        return sendCertsOnly(reply.header(RENEW_AFTER_HEADER, certificate.renew_after), [certificate.der]);
      });
    }
  }
}
