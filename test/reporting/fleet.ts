// A small fleet for the reporting tests: devices made through the app layer, certificates
// issued through the real path (openssl CSR -> RA -> CA -> ledger), and rows with chosen
// dates, keys and links inserted straight into the ledger, which issuance cannot produce
// (an expired certificate, a 1024-bit RSA key, a key shared between two devices).

import { randomBytes } from 'node:crypto';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice, type DeviceInput } from '../../src/app/devices.ts';
import type { ConfigOverrides } from '../../src/config/load.ts';
import { newId } from '../../src/ids.ts';
import { insertCertificate, type NewCertificate } from '../../src/store/repos/certificates.ts';
import type { CertificatesTable, DevicesTable } from '../../src/store/schema.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';
import { certificateRow } from '../store/fixtures.ts';

const DAY = 86_400_000;
let serial = 0;

export interface ReportingFleet extends TestFleet {
  issuerId: string;
  /** A device in service (active), owner set unless given. */
  device(input?: Partial<DeviceInput> & { status?: DevicesTable['status']; updatedAt?: string }): Promise<DevicesTable>;
  /** Issues through issueFromCsr with an openssl CSR. */
  issue(deviceId: string, profile?: string, replaces?: string): Promise<CertificatesTable>;
  /** A ledger row expiring `daysLeft` days after `now`, `lifetimeDays` long, gateway profile unless given. */
  insert(deviceId: string | null, daysLeft: number, fields?: Partial<NewCertificate> & { lifetimeDays?: number }): Promise<NewCertificate>;
}

export async function openReportingFleet(now: Date, overrides: ConfigOverrides = {}): Promise<ReportingFleet> {
  const fleet = await openTestFleet(overrides);
  const { ctx } = fleet;
  const issuerId = (await ctx.cas.byName('devices-production')).row.id;
  return {
    ...fleet,
    issuerId,
    async device(input = {}) {
      const { status, updatedAt, ...fields } = input;
      const row = await createDevice(ctx, { externalSerial: `RPT-${process.pid}-${++serial}`, deviceClass: 'sensor', environment: 'production', owner: 'ops@example.com', ...fields }, 'test');
      const patch = { status: status ?? 'active', updated_at: updatedAt ?? row.updated_at };
      await ctx.db.updateTable('devices').set(patch).where('id', '=', row.id).execute();
      return { ...row, ...patch };
    },
    async issue(deviceId, profile = 'gateway', replaces) {
      const { pem } = opensslCsr(fleet.dir, 'ec-p256');
      return issueFromCsr(ctx, { csr: pem, profile, deviceId, replaces }, 'test');
    },
    async insert(deviceId, daysLeft, fields = {}) {
      const { lifetimeDays = 90, ...rest } = fields;
      const notAfter = now.getTime() + daysLeft * DAY;
      const notBefore = notAfter - lifetimeDays * DAY;
      const row = certificateRow(issuerId, {
        id: newId(),
        device_id: deviceId,
        profile: 'gateway',
        not_before: new Date(notBefore).toISOString(),
        not_after: new Date(notAfter).toISOString(),
        renew_after: new Date(notBefore + lifetimeDays * 0.66 * DAY).toISOString(),
        created_at: new Date(notBefore).toISOString(),
        serial_hex: randomBytes(16).toString('hex'),
        ...rest,
      });
      await insertCertificate(ctx.db, row);
      return row;
    },
  };
}
