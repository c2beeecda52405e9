// /api/v1/stats: fleet aggregates for dashboards, counted by the database (src/store/repos/stats.ts).

import Type from 'typebox';
import { expiryTimeline, fleetSummary } from '../../app/stats.ts';
import { Timestamp } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const Count = Type.Integer({ minimum: 0 });

const Summary = Type.Object({
  generatedAt: Timestamp,
  devices: Type.Object({ registered: Count, active: Count, suspended: Count, decommissioned: Count, total: Count }),
  certificates: Type.Object({ valid: Count, on_hold: Count, revoked: Count, total: Count }),
  validCertificatesExpiring: Type.Object(
    { expired: Count, within7Days: Count, within30Days: Count, within90Days: Count },
    { description: 'Certificates still valid (not revoked or held) by notAfter: already past, or within the next 7, 30, 90 days' },
  ),
});

const Timeline = Type.Object({
  from: Timestamp,
  to: Timestamp,
  days: Type.Integer(),
  total: Count,
  items: Type.Array(Type.Object({ date: Type.String({ description: 'UTC day, YYYY-MM-DD' }), count: Count })),
});

export function statsRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['stats'];

  app.get('/stats/summary', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Devices and certificates by status, and valid certificates by time to expiry', response: { 200: Summary } },
  }, async () => fleetSummary(ctx));

  app.get('/stats/expiry-timeline', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'Valid certificates expiring per UTC day, today first',
      querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 90 }) }),
      response: { 200: Timeline },
    },
  }, async (request) => expiryTimeline(ctx, request.query.days));
}
