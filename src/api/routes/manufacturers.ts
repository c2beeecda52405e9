// /api/v1/manufacturers: trust anchors for devices' IEEE 802.1AR birth certificates. Adding
// one lets that manufacturer's registered devices enrol over EST without a shared secret,
// so it takes the administer permission.

import Type from 'typebox';
import { addManufacturer, listManufacturers, manufacturerView } from '../../app/manufacturers.ts';
import { Items, Timestamp } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const ManufacturerView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  subject: Type.String(),
  subjectKeyId: Type.String(),
  fingerprintSha256: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  certificatePem: Type.String(),
  createdAt: Timestamp,
});

const AddManufacturer = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
    certificatePem: Type.String({ minLength: 1, maxLength: 64 * 1024, description: "The manufacturer's CA certificate (PEM) that IDevIDs chain to" }),
  },
  { additionalProperties: false },
);

export function manufacturerRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['manufacturers'];

  app.get('/manufacturers', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Registered manufacturer trust anchors', response: { 200: Items(ManufacturerView) } },
  }, async () => {
    return { items: (await listManufacturers(ctx)).map(manufacturerView) };
  });

  app.post('/manufacturers', {
    config: { permission: 'administer' },
    schema: { tags, summary: 'Register a manufacturer CA for IDevID enrolment', body: AddManufacturer, response: { 201: ManufacturerView } },
  }, async (request, reply) => {
    const row = await addManufacturer(ctx, request.body.name, request.body.certificatePem, request.actor);
    return reply.code(201).send(manufacturerView(row));
  });
}
