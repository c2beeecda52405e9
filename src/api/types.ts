import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Context } from '../app/context.ts';
import type { ApiMetrics } from './metrics.ts';

/** A Fastify scope whose route handlers get request types inferred from their TypeBox schemas. */
export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What route files need besides the Fastify scope. */
export interface ApiDeps {
  ctx: Context;
  metrics: ApiMetrics;
}
