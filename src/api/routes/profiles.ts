// /api/v1/profiles: the RA's policies. The body schema documents and bounds the shape; the
// RA's checkProfile (called by app/profiles.ts) stays the judge of what a profile means.

import Type from 'typebox';
import { deleteProfile, getProfile, listProfiles, putProfile } from '../../app/profiles.ts';
import { BadRequest } from '../../errors.ts';
import { ProfileSchema } from '../../ra/profile.ts';
import { Items } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const ProfileParams = Type.Object({ name: ProfileSchema.properties.name });

/** The profile as src/ra/profile.ts defines it; the name may be left to the path. */
const ProfileBody = Type.Object(
  { ...ProfileSchema.properties, name: Type.Optional(ProfileSchema.properties.name) },
  { additionalProperties: false },
);

export function profileRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['profiles'];

  app.get('/profiles', {
    config: { permission: 'read' },
    schema: { tags, summary: 'All profiles', response: { 200: Items(ProfileSchema) } },
  }, async () => {
    return { items: await listProfiles(ctx) };
  });

  app.get('/profiles/:name', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One profile', params: ProfileParams, response: { 200: ProfileSchema } },
  }, async (request) => {
    return getProfile(ctx, request.params.name);
  });

  app.put('/profiles/:name', {
    config: { permission: 'administer' },
    schema: {
      tags,
      summary: 'Create or replace a profile',
      params: ProfileParams,
      body: ProfileBody,
      response: { 200: ProfileSchema },
    },
  }, async (request) => {
    const { name } = request.params;
    if (request.body.name !== undefined && request.body.name !== name) {
      throw new BadRequest(`the profile in the body is named ${request.body.name} but the path names ${name}`);
    }
    return putProfile(ctx, { ...request.body, name }, request.actor);
  });

  app.delete('/profiles/:name', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Delete a profile', params: ProfileParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await deleteProfile(ctx, request.params.name, request.actor);
    return reply.code(204).send(null);
  });
}
