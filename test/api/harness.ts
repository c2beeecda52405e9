// A fleetpki with its REST API, driven through Fastify's inject (no sockets), plus the
// lookups the tests use to check what a request left behind.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { listAudit } from '../../src/app/audit.ts';
import { createToken } from '../../src/app/tokens.ts';
import type { AuditView } from '../../src/app/views.ts';
import { countCertificates } from '../../src/store/repos/certificates.ts';
import type { Role } from '../../src/store/schema.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';

export interface CallOptions {
  /** Defaults to the admin token; null sends no Authorization header. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  fleet: TestFleet;
  app: FastifyInstance;
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options?: CallOptions): Promise<LightMyRequestResponse>;
  /** A new token of this role, made directly through the app layer. */
  token(role: Role, name?: string): Promise<string>;
  /** Registers a device through the API and returns its id. */
  device(fields?: Record<string, unknown>): Promise<string>;
  certificateCount(): Promise<number>;
  /** Newest first. */
  audit(filter: { action?: string; outcome?: 'success' | 'refused'; actor?: string }): Promise<AuditView[]>;
  close(): Promise<void>;
}

let serial = 0;

export async function openApi(...args: Parameters<typeof openTestFleet>): Promise<ApiHarness> {
  const fleet = await openTestFleet(...args);
  const app = await buildApi(fleet.ctx);
  const harness: ApiHarness = {
    fleet,
    app,
    call(method, url, options = {}) {
      const token = options.token === undefined ? fleet.adminToken : options.token;
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
      const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      return app.inject({ method, url, headers, payload });
    },
    async token(role, name = `${role}-${++serial}`) {
      return (await createToken(fleet.ctx, name, role, 'test')).token;
    },
    async device(fields = {}) {
      const body = { externalSerial: `SN-${process.pid}-${++serial}`, deviceClass: 'sensor', environment: 'production', ...fields };
      const response = await harness.call('POST', '/api/v1/devices', { body });
      if (response.statusCode !== 201) throw new Error(`device not created: ${response.body}`);
      return response.json().id;
    },
    certificateCount: () => countCertificates(fleet.ctx.db, {}),
    async audit(filter) {
      return (await listAudit(fleet.ctx, filter, { limit: 100 })).items;
    },
    async close() {
      await app.close();
      await fleet.close();
    },
  };
  return harness;
}

/** The error body every 4xx/5xx carries. */
export function errorOf(response: LightMyRequestResponse): { code: string; message: string; details?: Record<string, unknown> } {
  const body = response.json();
  if (!body.error) throw new Error(`not an error body: ${response.body}`);
  return body.error;
}
