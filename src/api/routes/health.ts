// Probes and metrics for orchestrators and Prometheus; public, like any /healthz.

import Type from 'typebox';
import { sql } from 'kysely';
import { errorBody } from '../errors.ts';
import { ErrorBody } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const READY_TIMEOUT_MS = 2000;

/** Rejects if the store does not answer in time: a hung database must make the probe fail, not hang. */
async function storeAnswers(deps: ApiDeps): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([sql`select 1`.execute(deps.ctx.db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(app: Api, deps: ApiDeps): void {
  const tags = ['operations'];
  const Status = Type.Object({ status: Type.String() });

  app.get('/healthz', {
    schema: { tags, summary: 'The process is up', security: [], response: { 200: Status } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      tags,
      summary: 'The store answers; 503 otherwise',
      security: [],
      response: { 200: Status, 503: ErrorBody },
    },
  }, async (request, reply) => {
    try {
      await storeAnswers(deps);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: the store does not answer');
      return reply.code(503).send(errorBody('unavailable', 'the store does not answer'));
    }
  });

  app.get('/metrics', {
    schema: {
      tags,
      summary: 'Prometheus metrics',
      security: [],
      response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } } },
    },
  }, async (_request, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
