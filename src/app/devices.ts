// Devices in the inventory and their state changes. Decommissioning revokes every certificate
// the device still holds, in the same transaction, so no certificate outlives its device.

import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { assertTransition, DECOMMISSION_REASONS, type DecommissionReason } from '../inventory/device-states.ts';
import { getDevice as getRow, getDeviceBySerial, insertDevice, updateDevice as updateRow } from '../store/repos/devices.ts';
import { getManufacturerByName } from '../store/repos/manufacturers.ts';
import type { Criticality, Database, DevicesTable, DeviceStatus } from '../store/schema.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

export interface DeviceInput {
  externalSerial: string;
  deviceClass: string;
  environment: string;
  model?: string | null;
  site?: string | null;
  owner?: string | null;
  criticality?: Criticality;
  metadata?: Record<string, unknown>;
  /**
   * The registered manufacturer (its name) whose IDevIDs alone may enrol the device: IEEE
   * 802.1AR serial numbers are unique per manufacturer only. Null or absent: any registered
   * manufacturer's IDevID with the device's serial (docs/est.md).
   */
  manufacturer?: string | null;
}

export type DeviceUpdate = Partial<Omit<DeviceInput, 'externalSerial'>>;

export async function getDevice(ctx: Context, id: string): Promise<DevicesTable> {
  const row = await getRow(ctx.db, id);
  if (!row) throw new NotFound(`no device with id ${id}`);
  return row;
}

/** The row a new device starts with; exported for writes that register a device inside a larger transaction (discovery adoption). */
export function newDeviceRow(input: DeviceInput, now: string = new Date().toISOString()): DevicesTable {
  return {
    id: newId(),
    external_serial: input.externalSerial,
    model: input.model ?? null,
    device_class: input.deviceClass,
    environment: input.environment,
    site: input.site ?? null,
    owner: input.owner ?? null,
    criticality: input.criticality ?? 'medium',
    status: 'registered',
    metadata: JSON.stringify(input.metadata ?? {}),
    manufacturer: input.manufacturer ?? null,
    created_at: now,
    updated_at: now,
  };
}

/** A binding must name a registered manufacturer; checked where the row is written. */
async function assertManufacturer(trx: Kysely<Database>, name: string | null | undefined): Promise<void> {
  if (name && !(await getManufacturerByName(trx, name))) throw new NotFound(`no manufacturer named ${name} is registered (fleetpki manufacturer list)`);
}

export async function createDevice(ctx: Context, input: DeviceInput, actor: string): Promise<DevicesTable> {
  return audited(ctx, actor, 'device.create', `device-serial:${input.externalSerial}`, async () => {
    const row = newDeviceRow(input);
    await ctx.ledger.submit(async (trx) => {
      if (await getDeviceBySerial(trx, row.external_serial)) throw new Conflict(`a device with serial ${row.external_serial} is already registered`);
      await assertManufacturer(trx, row.manufacturer);
      await insertDevice(trx, row);
    }, [{ actor, action: 'device.create', target: `device:${row.id}`, outcome: 'success', details: { serial: row.external_serial, class: row.device_class, environment: row.environment, manufacturer: row.manufacturer } }]);
    return row;
  });
}

export async function updateDevice(ctx: Context, id: string, update: DeviceUpdate, actor: string): Promise<DevicesTable> {
  return audited(ctx, actor, 'device.update', `device:${id}`, async () => {
    const patch: Partial<DevicesTable> = { updated_at: new Date().toISOString() };
    if (update.deviceClass !== undefined) patch.device_class = update.deviceClass;
    if (update.environment !== undefined) patch.environment = update.environment;
    if (update.model !== undefined) patch.model = update.model;
    if (update.site !== undefined) patch.site = update.site;
    if (update.owner !== undefined) patch.owner = update.owner;
    if (update.criticality !== undefined) patch.criticality = update.criticality;
    if (update.metadata !== undefined) patch.metadata = JSON.stringify(update.metadata);
    if (update.manufacturer !== undefined) patch.manufacturer = update.manufacturer;
    const fields = Object.keys(patch).filter((k) => k !== 'updated_at');
    // Who may enrol the device changes with the binding: the audit event says to what.
    const details = update.manufacturer !== undefined ? { fields, manufacturer: update.manufacturer } : { fields };
    return ctx.ledger.submit(async (trx) => {
      const row = await getRow(trx, id);
      if (!row) throw new NotFound(`no device with id ${id}`);
      if (row.status === 'decommissioned') throw new Conflict(`device ${id} is decommissioned; its record is kept as it was`);
      await assertManufacturer(trx, patch.manufacturer);
      return (await updateRow(trx, id, patch))!;
    }, [{ actor, action: 'device.update', target: `device:${id}`, outcome: 'success', details }]);
  });
}

async function transition(ctx: Context, id: string, to: DeviceStatus, actor: string, action: string, details: Record<string, unknown> = {}) {
  return audited(ctx, actor, action, `device:${id}`, () =>
    ctx.ledger.submit(async (trx) => {
      const row = await getRow(trx, id);
      if (!row) throw new NotFound(`no device with id ${id}`);
      assertTransition(id, row.status, to);
      return (await updateRow(trx, id, { status: to, updated_at: new Date().toISOString() }))!;
    }, [{ actor, action, target: `device:${id}`, outcome: 'success', details }]),
  );
}

/** A suspended device cannot enrol or renew; its certificates stay as they are (hold them with certificateHold if needed). */
export const suspendDevice = (ctx: Context, id: string, actor: string) => transition(ctx, id, 'suspended', actor, 'device.suspend');
export const reactivateDevice = (ctx: Context, id: string, actor: string) => transition(ctx, id, 'active', actor, 'device.reactivate');

export async function decommissionDevice(ctx: Context, id: string, why: DecommissionReason, actor: string): Promise<{ device: DevicesTable; revoked: string[] }> {
  const reason = DECOMMISSION_REASONS[why];
  return audited(ctx, actor, 'device.decommission', `device:${id}`, async () => {
    const now = new Date().toISOString();
    const revoked: string[] = [];
    const issuers: string[] = [];
    const device = await ctx.ledger.submit(async (trx, audit) => {
      const row = await getRow(trx, id);
      if (!row) throw new NotFound(`no device with id ${id}`);
      assertTransition(id, row.status, 'decommissioned');
      const live = await trx.selectFrom('certificates').select(['id', 'issuer_id']).where('device_id', '=', id).where('status', '!=', 'revoked').execute();
      revoked.splice(0, revoked.length, ...live.map((c) => c.id)); // the work may be retried alone
      issuers.splice(0, issuers.length, ...new Set(live.map((c) => c.issuer_id)));
      for (const cert of revoked) {
        audit.push({ actor, action: 'certificate.revoke', target: `certificate:${cert}`, outcome: 'success', details: { reason, cause: `device:${id} decommissioned (${why})` } });
      }
      if (revoked.length > 0) {
        await trx.updateTable('certificates').set({ status: 'revoked', revocation_reason: reason, revoked_at: now }).where('id', 'in', revoked).execute();
      }
      return (await updateRow(trx, id, { status: 'decommissioned', updated_at: now }))!;
    }, [{ actor, action: 'device.decommission', target: `device:${id}`, outcome: 'success', details: { why, reason } }]);
    if (revoked.length > 0) ctx.events.emit('revocation', { issuerIds: issuers, certificateIds: revoked });
    return { device, revoked };
  });
}
