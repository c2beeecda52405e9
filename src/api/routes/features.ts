// Parts of the API that other modules add (lifecycle alerts, discovery findings, risk
// reports). The dashboard asks which of them this build serves, through GET /session, and
// shows "not available in this build" for the others instead of failing requests.

import type { FastifyInstance } from 'fastify';

export const API_FEATURES = [
  { name: 'alerts', method: 'GET', url: '/api/v1/alerts' },
  { name: 'findings', method: 'GET', url: '/api/v1/discovery/findings' },
  { name: 'risk', method: 'GET', url: '/api/v1/reports/risk' },
] as const;

export type FeatureName = (typeof API_FEATURES)[number]['name'];

export function featuresOf(root: FastifyInstance): Record<FeatureName, boolean> {
  return Object.fromEntries(API_FEATURES.map((f) => [f.name, root.hasRoute({ method: f.method, url: f.url })])) as Record<FeatureName, boolean>;
}
