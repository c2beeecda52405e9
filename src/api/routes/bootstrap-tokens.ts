// /api/v1/devices/:id/bootstrap-tokens: one-time EST enrolment secrets for a device. The
// secret is in the creation answer only; the store keeps its hash (docs/est.md).

import Type from 'typebox';
import { bootstrapTokenView, createBootstrapToken, listBootstrapTokens } from '../../app/bootstrap-tokens.ts';
import { BadRequest } from '../../errors.ts';
import { parseDuration } from '../../ra/duration.ts';
import { IdParams, Items, Nullable, Timestamp } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const BootstrapTokenView = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  profile: Type.String(),
  expiresAt: Timestamp,
  usedAt: Nullable(Timestamp),
  createdAt: Timestamp,
});

const CreateBootstrapToken = Type.Object(
  {
    profile: Type.String({ minLength: 1, maxLength: 64, description: 'Profile the device enrols under' }),
    expiresIn: Type.Optional(Type.String({ pattern: '^\\d+[smhd]$', description: 'Lifetime from now, e.g. 15m, 24h, 7d (default 24h, at most 30d)' })),
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

const Created = Type.Object({ token: Type.String({ description: 'The secret: shown this once, never again' }), ...BootstrapTokenView.properties });

function expiryOf(body: { expiresIn?: string; expiresAt?: string }): Date {
  if (body.expiresIn !== undefined && body.expiresAt !== undefined) throw new BadRequest('give expiresIn or expiresAt, not both');
  if (body.expiresAt !== undefined) return new Date(body.expiresAt);
  return new Date(Date.now() + parseDuration(body.expiresIn ?? '24h') * 1000);
}

export function bootstrapTokenRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['devices'];

  app.post('/devices/:id/bootstrap-tokens', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Create a one-time EST bootstrap token for the device', params: IdParams, body: CreateBootstrapToken, response: { 201: Created } },
  }, async (request, reply) => {
    const { token, info } = await createBootstrapToken(ctx, request.params.id, request.body.profile, expiryOf(request.body), request.actor);
    return reply.code(201).send({ token, ...bootstrapTokenView(info) });
  });

  app.get('/devices/:id/bootstrap-tokens', {
    config: { permission: 'read' },
    schema: { tags, summary: "The device's bootstrap tokens, without secrets", params: IdParams, response: { 200: Items(BootstrapTokenView) } },
  }, async (request) => {
    return { items: (await listBootstrapTokens(ctx, request.params.id)).map(bootstrapTokenView) };
  });
}
