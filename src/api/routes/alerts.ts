// /api/v1/alerts: what the lifecycle jobs found (src/lifecycle), newest first, and
// acknowledging them. The dashboard reads the same endpoints.

import Type from 'typebox';
import { ALERT_KIND_NAMES } from '../../lifecycle/alert-kinds.ts';
import { acknowledgeAlert, getAlert, listAlerts } from '../../lifecycle/operations.ts';
import { lifecycleFor } from '../../lifecycle/service.ts';
import { FreeObject, IdParams, Limit, Nullable, Timestamp } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const Severity = Type.Enum(['info', 'warning', 'critical']);

export const AlertView = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: `One of ${ALERT_KIND_NAMES.join(', ')}` }),
  subject: Type.String({ description: 'certificate:<id>, device:<id>, ca:<name> or job:<name>' }),
  severity: Severity,
  state: Type.Enum(['open', 'acknowledged', 'resolved']),
  summary: Type.String(),
  details: FreeObject,
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  occurrences: Type.Integer({ description: 'How many passes found it' }),
  acknowledgedAt: Nullable(Timestamp),
  acknowledgedBy: Nullable(Type.String()),
  resolvedAt: Nullable(Timestamp),
});

const DeliveryView = Type.Object({
  id: Type.String(),
  webhook: Type.String(),
  event: Type.String(),
  state: Type.Enum(['pending', 'delivered', 'failed']),
  attempts: Type.Integer(),
  nextAttemptAt: Timestamp,
  lastAttemptAt: Nullable(Timestamp),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(Timestamp),
});

const AlertDetail = Type.Intersect([AlertView, Type.Object({ deliveries: Type.Array(DeliveryView) })]);

const AlertQuery = Type.Object({
  state: Type.Optional(Type.Enum(['open', 'acknowledged', 'resolved', 'active'], { description: 'active = open or acknowledged' })),
  kind: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  severity: Type.Optional(Severity),
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  limit: Limit,
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'nextCursor of the previous page' })),
});

const AckBody = Type.Object(
  { note: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Recorded in the audit event' })) },
  { additionalProperties: false, default: {} },
);

export function alertRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['alerts'];

  app.get('/alerts', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Alerts, newest first', querystring: AlertQuery, response: { 200: Type.Object({ items: Type.Array(AlertView), nextCursor: Nullable(Type.String()) }) } },
  }, async (request) => {
    const { limit, before, ...filter } = request.query;
    return listAlerts(lifecycleFor(ctx), filter, { limit, before });
  });

  app.get('/alerts/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One alert with its webhook deliveries', params: IdParams, response: { 200: AlertDetail } },
  }, async (request) => getAlert(lifecycleFor(ctx), request.params.id));

  app.post('/alerts/:id/ack', {
    config: { permission: 'operate' },
    schema: {
      tags,
      summary: 'Acknowledge an alert: a condition stays active until it clears, an action taken by policy is resolved',
      params: IdParams,
      body: AckBody,
      response: { 200: AlertView },
    },
  }, async (request) => acknowledgeAlert(lifecycleFor(ctx), request.params.id, request.actor, request.body.note));
}
