// Bearer-token authentication and role checks for /api/v1. Each route states the permission
// it needs in its config; a route that states none is refused at registration, so forgetting
// the check cannot silently make a route public.

import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Context } from '../app/context.ts';
import { authenticate, type TokenInfo } from '../app/tokens.ts';
import { FleetPkiError, Forbidden, Unauthorized } from '../errors.ts';
import type { Role } from '../store/schema.ts';

export type Permission = 'read' | 'operate' | 'administer';

/** Which roles hold each permission. */
export const ROLE_PERMISSIONS: Record<Permission, readonly Role[]> = {
  read: ['admin', 'operator', 'auditor'],
  operate: ['admin', 'operator'],
  administer: ['admin'],
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller's role must allow; every /api/v1 route except `public` ones sets it. */
    permission?: Permission;
    /** No token needed (the OpenAPI document). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** "token:<name>" once authenticated: the actor app functions record in the audit log. */
    actor: string;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new Unauthorized('the Authorization header must be "Bearer <token>"');
  return match[1];
}

async function refuse(ctx: Context, request: FastifyRequest, actor: string, error: FleetPkiError): Promise<never> {
  await ctx.ledger.audit([
    { actor, action: 'api.auth', target: `${request.method} ${request.routeOptions.url}`, outcome: 'refused', details: { reason: error.message } },
  ]);
  throw error;
}

async function checkAccess(ctx: Context, request: FastifyRequest, permission: Permission): Promise<void> {
  let token: TokenInfo;
  try {
    token = await authenticate(ctx, bearerToken(request));
  } catch (error) {
    if (error instanceof FleetPkiError) return refuse(ctx, request, 'anonymous', error);
    throw error;
  }
  const actor = `token:${token.name}`;
  if (!ROLE_PERMISSIONS[permission].includes(token.role)) {
    const allowed = ROLE_PERMISSIONS[permission].join(' or ');
    const route = `${request.method} ${request.routeOptions.url}`;
    return refuse(ctx, request, actor, new Forbidden(`the ${token.role} role may not ${permission}: ${route} needs ${allowed}`));
  }
  request.actor = actor;
}

/** Adds authentication to every route registered in `scope` after this call. */
export function requireAuth(scope: FastifyInstance, ctx: Context): void {
  scope.decorateRequest('actor', 'anonymous');
  scope.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.public && !route.config?.permission) throw new Error(`route ${route.method} ${route.url} declares no permission`);
  });
  // onRequest runs before the body is read, so an unauthenticated client cannot make the
  // server parse a large body.
  scope.addHook('onRequest', async (request) => {
    const { permission, public: isPublic } = request.routeOptions.config;
    if (isPublic) return;
    await checkAccess(ctx, request, permission ?? 'administer');
  });
}
