// /api/v1/reports: the risk ranking (what to fix first) and the compliance summary per
// device class, both computed in the database (src/reporting).

import Type from 'typebox';
import { complianceReport } from '../../reporting/compliance.ts';
import { riskPolicyOf, riskReport } from '../../reporting/risk.ts';
import { Limit } from '../schemas/common.ts';
import { ComplianceView, RiskPageView } from '../schemas/reports.ts';
import type { Api, ApiDeps } from '../types.ts';

const RiskQuery = Type.Object({
  limit: Limit,
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page; later pages are ranked as of the first' })),
});

export function reportRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['reports'];

  app.get('/reports/risk', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'Current certificates ranked by risk: expiry weighted by device criticality, failed renewals, orphans, weak keys',
      querystring: RiskQuery,
      response: { 200: RiskPageView },
    },
  }, async (request) => riskReport(ctx.db, ctx.store.engine, riskPolicyOf(ctx.config), request.query));

  app.get('/reports/compliance', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'Per device class: unique keys, one current certificate per profile, key and lifetime policy, trusted issuers, owners',
      response: { 200: ComplianceView },
    },
  }, async () => complianceReport(ctx.db, ctx.store.engine));
}
