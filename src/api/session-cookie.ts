// The dashboard's session cookie and CSRF header, in one place. The cookie is HttpOnly (no
// script can read the session id), SameSite=Strict (no other site's page sends it), scoped to
// the API path, and Secure whenever the dashboard is reached over HTTPS.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../app/context.ts';

export const SESSION_COOKIE = 'fleetpki_session';
/** Sent by the dashboard's script with every state-changing request it makes with the cookie. */
export const CSRF_HEADER = 'x-csrf-token';
const COOKIE_PATH = '/api/v1';

/** HTTPS either here (TLS on this listener) or in front (the public URL the operator configured). */
function secure(ctx: Context, request: FastifyRequest): boolean {
  return request.protocol === 'https' || ctx.config.publicUrl.startsWith('https:');
}

export function setSessionCookie(ctx: Context, request: FastifyRequest, reply: FastifyReply, sessionId: string, expiresAt: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: secure(ctx, request),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(ctx: Context, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: secure(ctx, request) });
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value ? value : undefined;
}
