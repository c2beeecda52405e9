// Refusals Fastify makes before a route runs: a body larger than the server accepts (413), a
// body that is not application/pkcs10 (415), a malformed request line or length (400). On an
// enrolment operation each is a refused request for a certificate, so it is audited like the
// RA's refusals; the actor is est:anonymous because no credential was looked at. Unknown
// paths (404) and wrong methods (405) ask for no certificate and are not audited.

import type { FastifyRequest } from 'fastify';
import type { Context } from '../app/context.ts';
import type { EnrollmentOperation } from '../ra/authorisers/index.ts';
import { EST_BASE } from './labels.ts';

const ENROLMENT: ReadonlySet<string> = new Set<EnrollmentOperation>(['simpleenroll', 'simplereenroll', 'serverkeygen']);

const CODES: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };

/** The operation and label of an EST URL (/.well-known/est/[<label>/]<operation>), when it names an enrolment. */
export function enrolmentOf(url: string): { operation: string; label: string | null } | null {
  const path = url.split('?')[0];
  if (!path.startsWith(`${EST_BASE}/`)) return null;
  const parts = path.slice(EST_BASE.length + 1).split('/');
  if (parts.length > 2 || !ENROLMENT.has(parts[parts.length - 1])) return null;
  return { operation: parts[parts.length - 1], label: parts.length === 2 ? decodeURIComponent(parts[0]) : null };
}

export async function auditFrameworkRefusal(ctx: Context, request: FastifyRequest, status: number, message: string): Promise<void> {
  const enrolment = request.method === 'POST' ? enrolmentOf(request.url) : null;
  if (!enrolment) return;
  await ctx.ledger.audit([
    {
      actor: 'est:anonymous',
      action: `est.${enrolment.operation}`,
      target: enrolment.label ? `profile:${enrolment.label}` : null,
      outcome: 'refused',
      details: { code: CODES[status] ?? 'bad_request', reason: message, status },
    },
  ]);
}
