// The drift job's "registered with a certificate" rule must look up each registered
// device's own certificates. SQLite has no statistics here, and given the chance it answers
// the EXISTS through the (status, not_after) index instead: every valid certificate once per
// registered device, hours at fleet scale (bench/scale.ts). The plan, not a timing, is checked.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { registeredWithCertificate, registeredWithCertificateQuery } from '../../src/lifecycle/drift-queries.ts';
import { createDevice } from '../../src/app/devices.ts';
import { openReportingFleet, type ReportingFleet } from '../reporting/fleet.ts';

describe('drift query plan (sqlite)', () => {
  const now = new Date();
  let fleet: ReportingFleet;

  before(async () => {
    fleet = await openReportingFleet(now);
  });
  after(async () => fleet?.close());

  it('reaches certificates through device_id, never through the status index', async () => {
    const compiled = registeredWithCertificateQuery(fleet.ctx.db, now, null).compile();
    const parameters = [...compiled.parameters];
    const literal = () => `'${String(parameters.shift()).replace(/'/g, "''")}'`;
    const { rows } = await sql.raw<{ detail: string }>(`explain query plan ${compiled.sql.replace(/\?/g, literal)}`).execute(fleet.ctx.db);
    const plan = rows.map((r) => r.detail).join(' | ');
    assert.match(plan, /certificates_device_id/, plan);
    assert.doesNotMatch(plan, /certificates_status_/, plan);
  });

  it('still finds a registered device that holds a valid certificate, and not one whose certificate expired', async () => {
    const holder = await createDevice(fleet.ctx, { externalSerial: 'DRIFT-PLAN-1', deviceClass: 'sensor', environment: 'production', owner: 'ops' }, 'test');
    const expired = await createDevice(fleet.ctx, { externalSerial: 'DRIFT-PLAN-2', deviceClass: 'sensor', environment: 'production', owner: 'ops' }, 'test');
    await fleet.insert(holder.id, 10);
    await fleet.insert(expired.id, -1);
    const found = (await registeredWithCertificate(fleet.ctx.db, now, null)).map((r) => r.id);
    assert.ok(found.includes(holder.id));
    assert.ok(!found.includes(expired.id));
  });
});
