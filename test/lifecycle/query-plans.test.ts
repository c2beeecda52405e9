// Lifecycle queries that must reach a device's certificates through device_id. SQLite has no
// statistics here, and given the chance it answers them through the (status, not_after)
// index instead: every valid certificate once per device or per page, hours at fleet scale
// (bench/scale.ts; src/store/unindexed.ts). The plan, not a timing, is checked.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { registeredWithCertificate, registeredWithCertificateQuery } from '../../src/lifecycle/drift-queries.ts';
import { createDevice } from '../../src/app/devices.ts';
import { liveCertificatesOfQuery, orphanCandidatePages } from '../../src/lifecycle/orphan-queries.ts';
import { openReportingFleet, type ReportingFleet } from '../reporting/fleet.ts';

type Compiled = { sql: string; parameters: readonly unknown[] };

/** EXPLAIN QUERY PLAN of a compiled query, its parameters inlined as literals. */
async function planOf(fleet: ReportingFleet, compiled: Compiled): Promise<string> {
  const parameters = [...compiled.parameters];
  const literal = () => `'${String(parameters.shift()).replace(/'/g, "''")}'`;
  const { rows } = await sql.raw<{ detail: string }>(`explain query plan ${compiled.sql.replace(/\?/g, literal)}`).execute(fleet.ctx.db);
  return rows.map((r) => r.detail).join(' | ');
}

describe('lifecycle query plans (sqlite)', () => {
  const now = new Date();
  let fleet: ReportingFleet;

  before(async () => {
    fleet = await openReportingFleet(now);
  });
  after(async () => fleet?.close());

  it('drift: registered-with-certificate reaches certificates through device_id, never the status index', async () => {
    const plan = await planOf(fleet, registeredWithCertificateQuery(fleet.ctx.db, now, null).compile());
    assert.match(plan, /certificates_device_id/, plan);
    assert.doesNotMatch(plan, /certificates_status_/, plan);
  });

  it('orphans: a page of devices reaches its certificates through device_id, never the status index', async () => {
    const plan = await planOf(fleet, liveCertificatesOfQuery(fleet.ctx.db, ['a', 'b', 'c'], now).compile());
    assert.match(plan, /certificates_device_id/, plan);
    assert.doesNotMatch(plan, /certificates_status_/, plan);
  });

  it('orphans: finds the live certificates of decommissioned and suspended devices, and not of active ones or revoked ones', async () => {
    const device = (status: 'decommissioned' | 'suspended' | 'active') => fleet.device({ deviceClass: 'orphan-plan', status });
    const [gone, held, fine] = await Promise.all([device('decommissioned'), device('suspended'), device('active')]);
    const live = [(await fleet.insert(gone.id, 10)).id, (await fleet.insert(held.id, 10)).id, (await fleet.insert(held.id, 20, { status: 'on_hold' })).id];
    await fleet.insert(gone.id, 10, { status: 'revoked' });
    await fleet.insert(gone.id, -1);
    await fleet.insert(fine.id, 10);
    const ours = new Set([gone.id, held.id, fine.id]);
    const found: string[] = [];
    const rowsOfOurs = [];
    for await (const rows of orphanCandidatePages(fleet.ctx.db, now, new AbortController().signal)) {
      found.push(...rows.map((r) => r.id));
      rowsOfOurs.push(...rows.filter((r) => ours.has(r.device_id!)));
    }
    assert.equal(found.length, new Set(found).size, 'each candidate once');
    assert.deepEqual(rowsOfOurs.map((r) => r.id).sort(), [...live].sort());
  });

  it('drift: still finds a registered device that holds a valid certificate, and not one whose certificate expired', async () => {
    const holder = await createDevice(fleet.ctx, { externalSerial: 'DRIFT-PLAN-1', deviceClass: 'sensor', environment: 'production', owner: 'ops' }, 'test');
    const expired = await createDevice(fleet.ctx, { externalSerial: 'DRIFT-PLAN-2', deviceClass: 'sensor', environment: 'production', owner: 'ops' }, 'test');
    await fleet.insert(holder.id, 10);
    await fleet.insert(expired.id, -1);
    const found = (await registeredWithCertificate(fleet.ctx.db, now, null)).map((r) => r.id);
    assert.ok(found.includes(holder.id));
    assert.ok(!found.includes(expired.id));
  });
});
