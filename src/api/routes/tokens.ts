// /api/v1/tokens: API tokens. The secret is in the creation answer only; the store keeps its hash.

import Type from 'typebox';
import { createToken, listTokens, revokeToken } from '../../app/tokens.ts';
import { BadRequest } from '../../errors.ts';
import { IdParams, Items, Timestamp } from '../schemas/common.ts';
import { Role, TokenView } from '../schemas/views.ts';
import { presentToken } from '../present.ts';
import type { Api, ApiDeps } from '../types.ts';

const CreateToken = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Who or what uses it; audit events name it as token:<name>' }),
    role: Role,
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

const Created = Type.Object({
  token: Type.String({ description: 'The secret: shown this once, never again' }),
  info: TokenView,
});

export function tokenRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['tokens'];

  app.get('/tokens', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'All tokens (without secrets)', response: { 200: Items(TokenView) } },
  }, async () => {
    return { items: (await listTokens(ctx)).map(presentToken) };
  });

  app.post('/tokens', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Create a token', body: CreateToken, response: { 201: Created } },
  }, async (request, reply) => {
    const { name, role, expiresAt } = request.body;
    const expires = expiresAt === undefined ? null : new Date(expiresAt).toISOString();
    if (expires !== null && expires <= new Date().toISOString()) throw new BadRequest('expiresAt is in the past');
    const created = await createToken(ctx, name, role, request.actor, expires);
    return reply.code(201).send({ token: created.token, info: presentToken(created.info) });
  });

  app.delete('/tokens/:id', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Revoke a token', params: IdParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await revokeToken(ctx, request.params.id, request.actor);
    return reply.code(204).send(null);
  });
}
