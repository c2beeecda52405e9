// Prometheus metrics, one registry per server instance (not prom-client's global one), so
// several servers in one process (tests, embedded use) never clash over metric names.

import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../app/context.ts';
import { registerInventoryMetrics } from './inventory-metrics.ts';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'fleetpki_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly certificatesIssued = new Counter({
    name: 'fleetpki_certificates_issued_total',
    help: 'Certificates issued through the REST API',
    registers: [this.registry],
  });
  readonly issuanceRefusals = new Counter({
    name: 'fleetpki_issuance_refusals_total',
    help: 'Certificate requests refused, by error code (bad_request, policy_denied, not_found...)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Inventory gauges (certificates by state and expiry, devices, alerts, job runs, issuance from the audit log), computed at scrape time. */
  watchInventory(ctx: Context): void {
    registerInventoryMetrics(this.registry, ctx);
  }

  /** Counts every answered request; the route pattern, not the URL, keeps label cardinality bounded. */
  observe(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    });
  }
}
