// /api/v1/audit: the hash-chained audit log, newest first, and its verification.

import Type from 'typebox';
import { listAudit, verifyAuditChain } from '../../app/audit.ts';
import { Limit, Nullable, Timestamp } from '../schemas/common.ts';
import { AuditEventView } from '../schemas/views.ts';
import type { Api, ApiDeps } from '../types.ts';

const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'e.g. certificate.issue, api.auth' })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'e.g. token:initial-admin, anonymous' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'e.g. device:<id>' })),
  outcome: Type.Optional(Type.Enum(['success', 'refused', 'error'])),
  since: Type.Optional(Timestamp),
  until: Type.Optional(Timestamp),
  limit: Limit,
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'nextCursor of the previous page (an event seq)' })),
});

const AuditPage = Type.Object({ items: Type.Array(AuditEventView), nextCursor: Nullable(Type.Integer()) });

const Verification = Type.Object({
  ok: Type.Boolean(),
  events: Type.Integer({ description: 'Events checked' }),
  problems: Type.Array(Type.Object({ seq: Type.Integer(), problem: Type.String() })),
});

/** Events store toISOString() text; a filter with another offset must compare in that form. */
const iso = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

export function auditRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['audit'];

  app.get('/audit', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Audit events, newest first', querystring: AuditQuery, response: { 200: AuditPage } },
  }, async (request) => {
    const { limit, before, since, until, ...filter } = request.query;
    return listAudit(ctx, { ...filter, since: iso(since), until: iso(until) }, { limit, before });
  });

  app.get('/audit/verify', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Walk the hash chain and report every broken link', response: { 200: Verification } },
  }, async () => {
    return verifyAuditChain(ctx);
  });
}
