// /api/v1/devices: the inventory and each device's life (suspend, reactivate, decommission).

import Type from 'typebox';
import { createDevice, decommissionDevice, getDevice, reactivateDevice, suspendDevice, updateDevice } from '../../app/devices.ts';
import { deviceView } from '../../app/views.ts';
import { DECOMMISSION_REASONS, type DecommissionReason } from '../../inventory/device-states.ts';
import { listCertificatesForDevice } from '../../store/repos/certificates.ts';
import { searchDevices } from '../../store/repos/devices.ts';
import { AfterCursor, FreeObject, IdParams, Items, Limit, Nullable, Page } from '../schemas/common.ts';
import { CertificateView, Criticality, DeviceStatus, DeviceView } from '../schemas/views.ts';
import { presentCertificates } from '../present.ts';
import type { Api, ApiDeps } from '../types.ts';

const Label = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

const DeviceQuery = Type.Object({
  status: Type.Optional(DeviceStatus),
  deviceClass: Type.Optional(Label('Device class, exact')),
  environment: Type.Optional(Label('Environment, exact')),
  site: Type.Optional(Label('Site, exact')),
  owner: Type.Optional(Label('Owner, exact')),
  criticality: Type.Optional(Criticality),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive substring of id, serial, model or owner' })),
  limit: Limit,
  after: Type.Optional(AfterCursor),
});

const DeviceCreate = Type.Object(
  {
    externalSerial: Label('The manufacturer serial number; unique in the fleet'),
    deviceClass: Label('e.g. sensor, gateway'),
    environment: Label('e.g. production, lab'),
    model: Type.Optional(Nullable(Label('Model'))),
    site: Type.Optional(Nullable(Label('Site'))),
    owner: Type.Optional(Nullable(Label('Owner: the team answerable for the device'))),
    criticality: Type.Optional(Criticality),
    metadata: Type.Optional(FreeObject),
    manufacturer: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 64,
          description: 'Name of a registered manufacturer: only IDevIDs chaining to its trust anchor may enrol the device (802.1AR serials are unique per manufacturer only). Absent or null: any registered manufacturer',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const DeviceUpdate = Type.Object(
  {
    deviceClass: Type.Optional(DeviceCreate.properties.deviceClass),
    environment: Type.Optional(DeviceCreate.properties.environment),
    model: DeviceCreate.properties.model,
    site: DeviceCreate.properties.site,
    owner: DeviceCreate.properties.owner,
    criticality: DeviceCreate.properties.criticality,
    metadata: DeviceCreate.properties.metadata,
    manufacturer: DeviceCreate.properties.manufacturer,
  },
  { additionalProperties: false, description: 'Fields to change; null clears model, site, owner or manufacturer. The serial never changes.' },
);

const DecommissionBody = Type.Object(
  {
    reason: Type.Enum(Object.keys(DECOMMISSION_REASONS) as DecommissionReason[], {
      default: 'retired',
      description: 'retired revokes the certificates with cessationOfOperation; lost and compromised with keyCompromise',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Decommissioned = Type.Object({ device: DeviceView, revokedCertificateIds: Type.Array(Type.String()) });

export function deviceRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['devices'];

  app.get('/devices', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Search devices', querystring: DeviceQuery, response: { 200: Page(DeviceView) } },
  }, async (request) => {
    const { limit, after, ...filter } = request.query;
    const page = await searchDevices(ctx.db, filter, { limit, after });
    return { items: page.items.map(deviceView), nextCursor: page.nextCursor };
  });

  app.post('/devices', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Register a device', body: DeviceCreate, response: { 201: DeviceView } },
  }, async (request, reply) => {
    const row = await createDevice(ctx, request.body, request.actor);
    return reply.code(201).send(deviceView(row));
  });

  app.get('/devices/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One device', params: IdParams, response: { 200: DeviceView } },
  }, async (request) => {
    return deviceView(await getDevice(ctx, request.params.id));
  });

  app.patch('/devices/:id', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Change a device', params: IdParams, body: DeviceUpdate, response: { 200: DeviceView } },
  }, async (request) => {
    return deviceView(await updateDevice(ctx, request.params.id, request.body, request.actor));
  });

  app.post('/devices/:id/suspend', {
    config: { permission: 'operate' },
    schema: {
      tags,
      summary: 'Suspend: no issuance until reactivated; certificates stay valid',
      params: IdParams,
      response: { 200: DeviceView },
    },
  }, async (request) => {
    return deviceView(await suspendDevice(ctx, request.params.id, request.actor));
  });

  app.post('/devices/:id/reactivate', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Reactivate a suspended device', params: IdParams, response: { 200: DeviceView } },
  }, async (request) => {
    return deviceView(await reactivateDevice(ctx, request.params.id, request.actor));
  });

  app.post('/devices/:id/decommission', {
    config: { permission: 'operate' },
    schema: {
      tags,
      summary: 'Retire a device for good, revoking every certificate it holds',
      params: IdParams,
      body: DecommissionBody,
      response: { 200: Decommissioned },
    },
  }, async (request) => {
    const { device, revoked } = await decommissionDevice(ctx, request.params.id, request.body.reason, request.actor);
    return { device: deviceView(device), revokedCertificateIds: revoked };
  });

  app.get('/devices/:id/certificates', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: "The device's certificates, newest first",
      params: IdParams,
      response: { 200: Items(CertificateView) },
    },
  }, async (request) => {
    const device = await getDevice(ctx, request.params.id);
    return { items: await presentCertificates(ctx, await listCertificatesForDevice(ctx.db, device.id)) };
  });
}
