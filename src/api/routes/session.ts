// /api/v1/session: who the caller is, and the dashboard's sign-in and sign-out for people.
// Programs keep using bearer tokens; a person's password opens a cookie session here.

import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { signIn, signOut, csrfTokenFor } from '../../app/sessions.ts';
import { BadRequest } from '../../errors.ts';
import { permissionsOf, type Principal } from '../auth.ts';
import { Nullable, Timestamp } from '../schemas/common.ts';
import { Role } from '../schemas/views.ts';
import { clearSessionCookie, setSessionCookie } from '../session-cookie.ts';
import type { Api, ApiDeps } from '../types.ts';
import { API_FEATURES, featuresOf } from './features.ts';

const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

const SessionView = Type.Object({
  kind: Type.Enum(['token', 'session'], { description: 'token: a bearer token; session: a person signed in with a password' }),
  name: Type.String({ description: 'The token name or the username' }),
  role: Role,
  permissions: Type.Array(Type.Enum(['read', 'operate', 'administer'])),
  expiresAt: Nullable(Timestamp),
  csrfToken: Nullable(Type.String({ description: 'Send as X-CSRF-Token with every state-changing request made with the session cookie' })),
  features: Type.Object(Object.fromEntries(API_FEATURES.map((f) => [f.name, Type.Boolean()])), {
    description: 'Optional parts this build serves (the dashboard shows a notice for the others)',
  }),
});

function sessionView(principal: Principal, root: FastifyInstance) {
  return {
    kind: principal.kind,
    name: principal.name,
    role: principal.role,
    permissions: permissionsOf(principal.role),
    expiresAt: principal.expiresAt,
    csrfToken: principal.sessionId ? csrfTokenFor(principal.sessionId) : null,
    features: featuresOf(root),
  };
}

export function sessionRoutes(app: Api, { ctx }: ApiDeps, root: FastifyInstance): void {
  const tags = ['session'];

  app.post('/session', {
    config: { public: true },
    schema: {
      tags,
      summary: 'Sign in with a username and password (sets an HttpOnly session cookie)',
      security: [],
      body: SignInBody,
      response: { 200: SessionView },
    },
  }, async (request, reply) => {
    const { username, password } = request.body;
    const signed = await signIn(ctx, username, password, request.ip);
    setSessionCookie(ctx, request, reply, signed.sessionId, signed.expiresAt);
    const principal: Principal = { kind: 'session', name: signed.username, role: signed.role, sessionId: signed.sessionId, expiresAt: signed.expiresAt };
    return sessionView(principal, root);
  });

  app.get('/session', {
    config: { permission: 'read', anonymousProbe: true },
    schema: { tags, summary: 'Who the caller is, what it may do, and the CSRF token of a cookie session', response: { 200: SessionView } },
  }, async (request) => {
    return sessionView(request.principal!, root);
  });

  app.delete('/session', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Sign out: end the cookie session', response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const principal = request.principal!;
    if (principal.kind !== 'session') throw new BadRequest('there is no session to end: this request was made with a bearer token');
    await signOut(ctx, principal.sessionId!, principal.name);
    clearSessionCookie(ctx, request, reply);
    return reply.code(204).send(null);
  });
}
