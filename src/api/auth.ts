// Authentication and role checks for /api/v1. A caller is either a program with a bearer
// token or a person signed in to the dashboard with a session cookie; both get the
// permissions of their role. Each route states the permission it needs in its config; a
// route that states none is refused at registration, so forgetting the check cannot
// silently make a route public.

import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Context } from '../app/context.ts';
import { csrfTokenMatches, resolveSession } from '../app/sessions.ts';
import { authenticate } from '../app/tokens.ts';
import { FleetPkiError, Forbidden, Unauthorized } from '../errors.ts';
import type { Role } from '../store/schema.ts';
import { AnonymousRefusals } from '../audit/anonymous-refusals.ts';
import { CSRF_HEADER, sessionIdOf } from './session-cookie.ts';

export type Permission = 'read' | 'operate' | 'administer';

/** Which roles hold each permission. */
export const ROLE_PERMISSIONS: Record<Permission, readonly Role[]> = {
  read: ['admin', 'operator', 'auditor'],
  operate: ['admin', 'operator'],
  administer: ['admin'],
};

export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(ROLE_PERMISSIONS) as Permission[]).filter((p) => ROLE_PERMISSIONS[p].includes(role));
}

/** Who is calling: a token's name or a signed-in user's name, with the role that decides. */
export interface Principal {
  kind: 'token' | 'session';
  name: string;
  role: Role;
  /** The session cookie's secret, kept in memory for this request only (sign-out, CSRF token). */
  sessionId?: string;
  /** When the session ends, or the token expires (null: never). */
  expiresAt: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller's role must allow; every /api/v1 route except `public` ones sets it. */
    permission?: Permission;
    /** No token needed (the OpenAPI document, signing in). */
    public?: boolean;
    /**
     * A request with no credentials at all is refused without an audit event: the dashboard
     * asks GET /session on every visit to learn whether anyone is signed in, and that question
     * is not an attempt at anything. A wrong token or an ended session is still audited.
     */
    anonymousProbe?: boolean;
  }
  interface FastifyRequest {
    /** "token:<name>" or "user:<name>" once authenticated: the actor app functions record in the audit log. */
    actor: string;
    principal: Principal | null;
  }
}

/** Reads change nothing, so a forged one gains nothing: only other methods need the CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** Nobody identified: audited, but repeats from one address, route and reason are counted, not each written (src/api/anonymous-refusals.ts). */
async function refuseAnonymous(ctx: Context, request: FastifyRequest, error: FleetPkiError, sampler: AnonymousRefusals): Promise<never> {
  const target = `${request.method} ${request.routeOptions.url}`;
  const { write, repeats } = sampler.sample(request.ip, target, error.message);
  if (!write) throw error;
  const details = { reason: error.message, from: request.ip, ...(repeats > 0 ? { repeatsUnaudited: repeats } : {}) };
  await ctx.ledger.audit([{ actor: 'anonymous', action: 'api.auth', target, outcome: 'refused', details }]);
  throw error;
}

export const actorOf = (p: Principal) => `${p.kind === 'token' ? 'token' : 'user'}:${p.name}`;

/**
 * A bearer token wins over a cookie: a program that sends one means it. Without either, the
 * token error explains what to send.
 */
async function identify(ctx: Context, request: FastifyRequest): Promise<Principal> {
  const bearer = bearerToken(request);
  const sessionId = sessionIdOf(request);
  if (bearer !== undefined || sessionId === undefined) {
    const token = await authenticate(ctx, bearer);
    return { kind: 'token', name: token.name, role: token.role, expiresAt: token.expires_at };
  }
  const user = await resolveSession(ctx, sessionId);
  return { kind: 'session', name: user.username, role: user.role, sessionId, expiresAt: user.expiresAt };
}

/**
 * A cookie is sent by the browser whoever's page made the request; the CSRF token proves the
 * request came from the dashboard's own script. A bearer token is never sent on its own, so
 * token requests need no CSRF token.
 */
function checkCsrf(request: FastifyRequest, principal: Principal): void {
  if (principal.kind !== 'session' || SAFE_METHODS.has(request.method)) return;
  const presented = request.headers[CSRF_HEADER];
  if (!csrfTokenMatches(principal.sessionId!, typeof presented === 'string' ? presented : undefined)) {
    throw new Forbidden(`missing or wrong CSRF token: a request signed in with the session cookie that changes something must send the ${CSRF_HEADER} header`);
  }
}

function anonymous(request: FastifyRequest): boolean {
  return request.headers.authorization === undefined && sessionIdOf(request) === undefined;
}

async function checkAccess(ctx: Context, request: FastifyRequest, permission: Permission, sampler: AnonymousRefusals): Promise<void> {
  let principal: Principal;
  try {
    principal = await identify(ctx, request);
  } catch (error) {
    if (error instanceof Unauthorized && request.routeOptions.config.anonymousProbe && anonymous(request)) throw error;
    if (error instanceof FleetPkiError) return refuseAnonymous(ctx, request, error, sampler);
    throw error;
  }
  const actor = actorOf(principal);
  try {
    checkCsrf(request, principal);
  } catch (error) {
    return refuse(ctx, request, actor, error as FleetPkiError);
  }
  if (!ROLE_PERMISSIONS[permission].includes(principal.role)) {
    const allowed = ROLE_PERMISSIONS[permission].join(' or ');
    const route = `${request.method} ${request.routeOptions.url}`;
    return refuse(ctx, request, actor, new Forbidden(`the ${principal.role} role may not ${permission}: ${route} needs ${allowed}`));
  }
  request.actor = actor;
  request.principal = principal;
}

/** Adds authentication to every route registered in `scope` after this call. */
export function requireAuth(scope: FastifyInstance, ctx: Context): void {
  const sampler = new AnonymousRefusals();
  scope.decorateRequest('actor', 'anonymous');
  scope.decorateRequest('principal', null);
  scope.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.public && !route.config?.permission) throw new Error(`route ${route.method} ${route.url} declares no permission`);
  });
  // onRequest runs before the body is read, so an unauthenticated client cannot make the
  // server parse a large body.
  scope.addHook('onRequest', async (request) => {
    const { permission, public: isPublic } = request.routeOptions.config;
    if (isPublic) return;
    await checkAccess(ctx, request, permission ?? 'administer', sampler);
  });
}
