// Adoption: an external certificate becomes part of the inventory by being linked to a device
// (an existing one, or one registered in the same transaction). It is not copied into
// `certificates`, which records only what fleetpki's CAs issued: fleetpki cannot revoke or
// renew an adopted certificate, only know whose it is and replace it.

import type { Kysely } from 'kysely';
import type { AuditEvent } from '../audit/log.ts';
import { newDeviceRow, type DeviceInput } from '../app/devices.ts';
import { Conflict, NotFound, PolicyDenied } from '../errors.ts';
import { getDevice, getDeviceBySerial, insertDevice } from '../store/repos/devices.ts';
import { updateDiscovered, type DiscoveredRow } from '../store/repos/discovered-certificates.ts';
import type { FindingRow } from '../store/repos/discovery-findings.ts';
import type { Database } from '../store/schema.ts';

/** Refuses what adoption would misrepresent. */
export function checkAdoptable(cert: DiscoveredRow, findings: FindingRow[]): void {
  if (cert.inventory_certificate_id) throw new Conflict(`this certificate was issued by fleetpki and is already in the inventory as certificate ${cert.inventory_certificate_id}`);
  if (cert.adopted_device_id) throw new Conflict(`this certificate is already adopted by device ${cert.adopted_device_id}`);
  // Adopting it would make a certificate fleetpki's ledger never recorded look legitimate.
  if (findings.some((f) => f.kind === 'unauthorised')) {
    throw new PolicyDenied('a certificate that claims a fleetpki CA but is not in its issuance ledger cannot be adopted; replace it (and investigate how it was made)');
  }
}

async function deviceFor(trx: Kysely<Database>, audit: AuditEvent[], input: { deviceId?: string; device?: DeviceInput }, actor: string, now: string): Promise<string> {
  if (input.deviceId) {
    const device = await getDevice(trx, input.deviceId);
    if (!device) throw new NotFound(`no device with id ${input.deviceId}`);
    if (device.status === 'decommissioned') throw new Conflict(`device ${device.id} is decommissioned; adopt into a live device`);
    return device.id;
  }
  const spec = input.device!;
  if (await getDeviceBySerial(trx, spec.externalSerial)) throw new Conflict(`a device with serial ${spec.externalSerial} is already registered; adopt with its deviceId`);
  const row = newDeviceRow(spec, now);
  await insertDevice(trx, row);
  audit.push({ actor, action: 'device.create', target: `device:${row.id}`, outcome: 'success', details: { serial: row.external_serial, class: row.device_class, environment: row.environment, via: 'discovery.adopt' } });
  return row.id;
}

/** Links the certificate to its device; returns the device id. */
export async function adoptCertificate(trx: Kysely<Database>, audit: AuditEvent[], cert: DiscoveredRow, input: { deviceId?: string; device?: DeviceInput }, actor: string, now: string): Promise<string> {
  const deviceId = await deviceFor(trx, audit, input, actor, now);
  await updateDiscovered(trx, cert.id, { adopted_device_id: deviceId, adopted_at: now });
  return deviceId;
}
