// The audit log is a hash chain: every trust decision is an event, and a changed, removed or
// truncated event is found by verification, at the event where the chain breaks. Appends
// through the group commit, however concurrent, keep the chain whole.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain } from '../../src/app/audit.ts';
import { issueFromCsr, revokeCertificate } from '../../src/app/certificates.ts';
import { createDevice, decommissionDevice, reactivateDevice, suspendDevice } from '../../src/app/devices.ts';
import { eventHash } from '../../src/audit/chain.ts';
import { verifyAudit } from '../../src/audit/log.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

/** A fleet with some history: enrolments, a refusal, a suspension, revocations, a decommission. */
async function fleetWithHistory(): Promise<{ fleet: TestFleet; seqs: number[] }> {
  const fleet = await openTestFleet();
  const { ctx } = fleet;
  const csr = opensslCsr(fleet.dir, 'ec-p256').pem;
  const a = await createDevice(ctx, { externalSerial: 'AUDIT-A', deviceClass: 'sensor', environment: 'production' }, 'alice');
  const b = await createDevice(ctx, { externalSerial: 'AUDIT-B', deviceClass: 'sensor', environment: 'production' }, 'alice');
  const certA = await issueFromCsr(ctx, { csr, profile: 'sensor', deviceId: a.id }, 'alice');
  await issueFromCsr(ctx, { csr, profile: 'sensor', deviceId: b.id }, 'bob');
  await suspendDevice(ctx, b.id, 'bob');
  await issueFromCsr(ctx, { csr, profile: 'sensor', deviceId: b.id }, 'bob').catch(() => undefined);
  await reactivateDevice(ctx, b.id, 'bob');
  await revokeCertificate(ctx, certA.id, 'superseded', 'alice');
  await decommissionDevice(ctx, b.id, 'lost', 'carol');
  await ctx.ledger.idle();
  const rows = await ctx.db.selectFrom('audit_events').select('seq').orderBy('seq').execute();
  return { fleet, seqs: rows.map((r) => Number(r.seq)) };
}

describe('audit chain', () => {
  describe('after a history of trust decisions', () => {
    let fleet: TestFleet;
    let seqs: number[];
    before(async () => ({ fleet, seqs } = await fleetWithHistory()));
    after(() => fleet?.close());

    it('verifies, with contiguous sequence numbers from 1', async () => {
      const result = await verifyAuditChain(fleet.ctx);
      assert.deepEqual(result, { ok: true, events: seqs.length, problems: [] });
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
    });

    it('records each decision: issue, refusal, suspend, reactivate, revoke, decommission with its revocations', async () => {
      const events = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('actor', 'in', ['alice', 'bob', 'carol']).orderBy('seq').execute();
      assert.deepEqual(
        events.map((e) => `${e.actor} ${e.action} ${e.outcome}`),
        [
          'alice device.create success',
          'alice device.create success',
          'alice certificate.issue success',
          'bob certificate.issue success',
          'bob device.suspend success',
          'bob certificate.issue refused',
          'bob device.reactivate success',
          'alice certificate.revoke success',
          'carol device.decommission success',
          'carol certificate.revoke success',
        ],
      );
      assert.match(JSON.parse(events[5].details).reason, /suspended/);
      assert.deepEqual(JSON.parse(events[9].details), { reason: 'keyCompromise', cause: `${events[8].target} decommissioned (lost)` });
    });

    it('verifies the same with any page size (page boundaries are links too)', async () => {
      for (const pageSize of [1, 2, 3, 7]) {
        assert.deepEqual(await verifyAudit(fleet.ctx.db, pageSize), { ok: true, events: seqs.length, problems: [] }, `page size ${pageSize}`);
      }
    });
  });

  describe('tampering is detected at the right event', () => {
    let fleet: TestFleet;
    let seqs: number[];
    // Each case tampers with its own copy of the history.
    const fresh = async () => {
      await fleet?.close();
      ({ fleet, seqs } = await fleetWithHistory());
      return fleet.ctx.db;
    };
    after(() => fleet?.close());

    it("changing one event's details", async () => {
      const db = await fresh();
      const target = seqs[Math.floor(seqs.length / 2)];
      await db.updateTable('audit_events').set({ details: JSON.stringify({ reason: 'nothing to see' }) }).where('seq', '=', target).execute();
      for (const pageSize of [5000, 2]) {
        const result = await verifyAudit(db, pageSize);
        assert.equal(result.ok, false);
        assert.deepEqual(result.problems.map((p) => p.seq), [target]);
        assert.match(result.problems[0].problem, /content does not match its hash: the event was changed/);
      }
    });

    it('turning a refusal into a success', async () => {
      const db = await fresh();
      const refusal = await db.selectFrom('audit_events').select('seq').where('outcome', '=', 'refused').executeTakeFirstOrThrow();
      await db.updateTable('audit_events').set({ outcome: 'success' }).where('seq', '=', refusal.seq).execute();
      const result = await verifyAuditChain(fleet.ctx);
      assert.deepEqual(result.problems.map((p) => p.seq), [Number(refusal.seq)]);
    });

    it('changing an event and recomputing its hash breaks the link from the next one', async () => {
      const db = await fresh();
      const target = seqs[3];
      const row = await db.selectFrom('audit_events').selectAll().where('seq', '=', target).executeTakeFirstOrThrow();
      const forged = { ...row, seq: Number(row.seq), actor: 'mallory' };
      await db.updateTable('audit_events').set({ actor: forged.actor, hash: eventHash(row.prev_hash, forged) }).where('seq', '=', target).execute();
      const result = await verifyAuditChain(fleet.ctx);
      assert.deepEqual(result.problems.map((p) => p.seq), [target + 1]);
      assert.match(result.problems[0].problem, new RegExp(`does not link to event ${target}`));
    });

    it('deleting a middle event', async () => {
      const db = await fresh();
      const target = seqs[4];
      await db.deleteFrom('audit_events').where('seq', '=', target).execute();
      const result = await verifyAuditChain(fleet.ctx);
      assert.equal(result.ok, false);
      assert.equal(result.events, seqs.length - 1);
      assert.deepEqual(result.problems.map((p) => p.seq), [target + 1]);
      assert.match(result.problems[0].problem, new RegExp(`sequence jumps from ${target - 1} to ${target + 1}: events were deleted`));
    });

    it('deleting the last event (the head remembers it)', async () => {
      const db = await fresh();
      const last = seqs[seqs.length - 1];
      await db.deleteFrom('audit_events').where('seq', '=', last).execute();
      const result = await verifyAuditChain(fleet.ctx);
      assert.equal(result.ok, false);
      assert.deepEqual(result.problems.map((p) => p.seq), [last]);
      assert.match(result.problems[0].problem, new RegExp(`the chain ends at event ${last - 1} but ${last} were written`));
    });

    it('deleting the last three events', async () => {
      const db = await fresh();
      const last = seqs[seqs.length - 1];
      await db.deleteFrom('audit_events').where('seq', '>', last - 3).execute();
      const result = await verifyAuditChain(fleet.ctx);
      assert.deepEqual(result.problems.map((p) => p.seq), [last]);
      assert.match(result.problems[0].problem, new RegExp(`ends at event ${last - 3} but ${last} were written`));
    });
  });

  describe('concurrent appends through the group commit', () => {
    let fleet: TestFleet;
    before(async () => {
      fleet = await openTestFleet();
    });
    after(() => fleet?.close());

    it('keep one valid chain with no gaps and no duplicates', async () => {
      const { ctx } = fleet;
      const csr = opensslCsr(fleet.dir, 'ec-p256').pem;
      const devices = await Promise.all(Array.from({ length: 20 }, (_, i) => createDevice(ctx, { externalSerial: `CONC-AUDIT-${i}`, deviceClass: 'sensor', environment: 'production' }, 'test')));
      const before = (await verifyAuditChain(ctx)).events;
      const batchesBefore = ctx.ledger.batches;
      await Promise.all([
        ...Array.from({ length: 200 }, (_, i) => ctx.ledger.audit([{ actor: `worker-${i % 7}`, action: 'test.event', target: `n:${i}`, outcome: 'success', details: { i } }])),
        ...devices.map((d) => issueFromCsr(ctx, { csr, profile: 'sensor', deviceId: d.id }, 'test')),
        ...devices.slice(0, 5).map((d) => issueFromCsr(ctx, { csr: 'not a csr', profile: 'sensor', deviceId: d.id }, 'test').catch(() => undefined)),
        ...Array.from({ length: 10 }, (_, i) => ctx.ledger.audit([1, 2, 3].map((k) => ({ actor: 'multi', action: 'test.multi', target: `m:${i}`, outcome: 'success' as const, details: { k } })))),
      ]);
      assert.ok(ctx.ledger.batches - batchesBefore < 200 + 20 + 5 + 10, 'appends were grouped');
      const result = await verifyAuditChain(ctx);
      assert.deepEqual(result, { ok: true, events: before + 200 + 20 + 5 + 30, problems: [] });
      const rows = await ctx.db.selectFrom('audit_events').select(['seq', 'target', 'details']).orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => Number(r.seq)), Array.from({ length: rows.length }, (_, i) => i + 1));
      assert.equal(new Set(rows.filter((r) => r.target?.startsWith('n:')).map((r) => r.target)).size, 200);
      // Events submitted together stay together and in order.
      for (let i = 0; i < 10; i++) {
        const group = rows.filter((r) => r.target === `m:${i}`);
        assert.deepEqual(group.map((r) => JSON.parse(r.details).k), [1, 2, 3]);
        assert.equal(Number(group[2].seq) - Number(group[0].seq), 2);
      }
      const head = await ctx.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(head.seq), rows.length);
    });
  });
});
