// /api/v1/cas: the CA hierarchy. Views never carry a private key (see app/cas.ts CaView).

import Type from 'typebox';
import { caChainPem, createIssuing, getCa, importRoot, listCas } from '../../app/cas.ts';
import { KEY_TYPES } from '../../x509/keys.ts';
import { Items, NameParams, pemResponse } from '../schemas/common.ts';
import { CaView } from '../schemas/views.ts';
import type { Api, ApiDeps } from '../types.ts';

const CaName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'Lower-case letters, digits and dashes' });

const CreateCa = Type.Object(
  {
    name: CaName,
    keyType: Type.Enum(KEY_TYPES),
    validityDays: Type.Integer({ minimum: 1, maximum: 36500, description: 'Capped at the parent CA expiry' }),
    commonName: Type.String({ minLength: 1, maxLength: 64 }),
    organization: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    parent: Type.String({ minLength: 1, maxLength: 64, description: 'Name of the root CA to sign it' }),
  },
  { additionalProperties: false },
);

const ImportRoot = Type.Object(
  {
    name: CaName,
    certificatePem: Type.String({ minLength: 1, description: 'The self-signed root certificate; its key stays offline' }),
  },
  { additionalProperties: false },
);

export function caRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['cas'];

  app.get('/cas', {
    config: { permission: 'read' },
    schema: { tags, summary: 'All CAs, roots first', response: { 200: Items(CaView) } },
  }, async () => {
    return { items: await listCas(ctx) };
  });

  app.get('/cas/:name', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One CA', params: NameParams, response: { 200: CaView } },
  }, async (request) => {
    return getCa(ctx, request.params.name);
  });

  app.get('/cas/:name/chain', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'PEM chain from this CA up to its root',
      params: NameParams,
      response: { 200: pemResponse('application/pem-certificate-chain', 'PEM chain, root last') },
    },
  }, async (request, reply) => {
    return reply.type('application/pem-certificate-chain').send(await caChainPem(ctx, request.params.name));
  });

  app.post('/cas', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Create an issuing CA under a root', body: CreateCa, response: { 201: CaView } },
  }, async (request, reply) => {
    const { parent, ...spec } = request.body;
    return reply.code(201).send(await createIssuing(ctx, spec, parent, request.actor));
  });

  app.post('/cas/import-root', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Import an offline root certificate', body: ImportRoot, response: { 201: CaView } },
  }, async (request, reply) => {
    return reply.code(201).send(await importRoot(ctx, request.body.name, request.body.certificatePem, request.actor));
  });
}
