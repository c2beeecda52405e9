// The REST admin API: one Fastify instance per Context. The CLI's `serve` calls startServer
// and, on SIGTERM, close(), which drains in-flight requests before resolving.

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Context } from '../app/context.ts';
import { requireAuth } from './auth.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { ApiMetrics } from './metrics.ts';
import { openApiRoute, registerOpenApi } from './openapi.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
import { bootstrapTokenRoutes } from './routes/bootstrap-tokens.ts';
import { caFileRoutes } from './routes/ca-files.ts';
import { caRoutes } from './routes/cas.ts';
import { crlRoutes } from './routes/crls.ts';
import { certificateRoutes } from './routes/certificates.ts';
import { deviceRoutes } from './routes/devices.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { exportRoutes } from './routes/exports.ts';
import { healthRoutes } from './routes/health.ts';
import { lifecycleRoutes } from './routes/lifecycle.ts';
import { manufacturerRoutes } from './routes/manufacturers.ts';
import { ocspRoutes, type OcspResponder } from '../ocsp/routes.ts';
import { profileRoutes } from './routes/profiles.ts';
import { reportRoutes } from './routes/reports.ts';
import { sessionRoutes } from './routes/session.ts';
import { statsRoutes } from './routes/stats.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { uiRoutes } from './routes/ui.ts';
import type { Api, ApiDeps } from './types.ts';
import { validatorCompiler } from './validation.ts';

export const API_PREFIX = '/api/v1';

/** A caller's X-Request-Id is kept (to follow a request across services) if it is short and plain; otherwise one is made. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
}

async function adminRoutes(scope: Api, deps: ApiDeps, root: FastifyInstance): Promise<void> {
  requireAuth(scope, deps.ctx);
  openApiRoute(scope, root);
  for (const routes of [deviceRoutes, bootstrapTokenRoutes, certificateRoutes, caRoutes, profileRoutes, manufacturerRoutes, auditRoutes, tokenRoutes, statsRoutes, discoveryRoutes]) routes(scope, deps);
  for (const routes of [alertRoutes, lifecycleRoutes]) routes(scope, deps);
  for (const routes of [reportRoutes, exportRoutes]) routes(scope, deps);
  sessionRoutes(scope, deps, root);
}

export interface ApiOptions {
  /** The OCSP responder to serve (`serve` shares it with its refresher); without one, the server makes its own. */
  ocsp?: OcspResponder;
}

export async function buildApi(ctx: Context, options: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify's request serializer logs method, URL and addresses, never headers, so the
    // Authorization header stays out of the log (the Context logger also redacts it).
    loggerInstance: ctx.log,
    bodyLimit: ctx.config.bodyLimitBytes,
    genReqId: requestId,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // A keep-alive connection whose request was in flight when close() began would otherwise
    // stay open until its idle timeout and hold the shutdown up.
    if (closing) reply.header('connection', 'close');
  });
  const deps: ApiDeps = { ctx, metrics: new ApiMetrics() };
  deps.metrics.observe(app);
  deps.metrics.watchInventory(ctx);
  await registerOpenApi(app);
  // Parses the dashboard's session cookie (src/api/session-cookie.ts) before authentication runs.
  await app.register(cookie);
  healthRoutes(app, deps);
  uiRoutes(app);
  caFileRoutes(app, deps);
  await ocspRoutes(app, deps, options.ocsp);
  crlRoutes(app, deps);
  await app.register((scope) => adminRoutes(scope as Api, deps, app), { prefix: API_PREFIX });
  return app;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startServer(ctx: Context, options: ApiOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const app = await buildApi(ctx, options);
  await app.listen({ host: ctx.config.listen.host, port: ctx.config.listen.port });
  const url = urlOf(app.server.address() as AddressInfo);
  ctx.log.info({ url }, 'fleetpki API listening');
  let closing: Promise<void> | undefined;
  // Fastify's close stops accepting connections, closes idle keep-alive ones, answers 503 to
  // new requests on busy ones and resolves once in-flight requests have been answered.
  return { url, close: () => (closing ??= app.close()) };
}
