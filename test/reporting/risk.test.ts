// The risk report ranks what to fix first, on SQLite and (when FLEETPKI_TEST_PG_URL answers)
// on PostgreSQL: the order docs/reporting.md's formula gives, renewed and revoked
// certificates left out, pages that neither repeat nor skip, the lifecycle's expiry alerts
// used once its scan has run, a suspended device's orphans dated by its suspension (as the
// lifecycle dates them) however it is edited afterwards, and the same ranking through REST.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApi } from '../../src/api/server.ts';
import { suspendDevice, updateDevice } from '../../src/app/devices.ts';
import { runJob } from '../../src/lifecycle/runner.ts';
import { createLifecycle, lifecycleFor } from '../../src/lifecycle/service.ts';
import { runJobNow } from '../../src/lifecycle/operations.ts';
import type { RiskItem } from '../../src/reporting/risk-item.ts';
import { riskPolicyOf, riskReport } from '../../src/reporting/risk.ts';
import { postgresCase, sqliteCase, type EngineCase } from '../store/engines.ts';
import { openReportingFleet, type ReportingFleet } from './fleet.ts';

const DAY = 86_400_000;

for (const engineCase of [sqliteCase, postgresCase]) {
  describe(`risk report (${engineCase.name.replace('Case', '')})`, async () => {
    const engine: EngineCase = await engineCase();
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    let fleet: ReportingFleet;
    const ids: Record<string, string> = {};
    const rank = (limit = 100, after?: string, at = now) => riskReport(fleet.ctx.db, fleet.ctx.store.engine, riskPolicyOf(fleet.ctx.config), { limit, after, now: at });
    const labelOf = (item: RiskItem) => Object.entries(ids).find(([, id]) => id === item.certificateId)?.[0] ?? item.certificateId;

    before(async () => {
      if (engine.skip) return;
      fleet = await openReportingFleet(now, engine.url ? { db: engine.url } : {});
      const critical = await fleet.device({ criticality: 'critical' });
      const low = await fleet.device({ criticality: 'low' });
      const medium = await fleet.device({ criticality: 'medium' });
      const high = await fleet.device({ criticality: 'high' });
      const suspended = await fleet.device({ criticality: 'high', status: 'suspended', updatedAt: new Date(now.getTime() - 60 * DAY).toISOString() });
      ids.critical3d = (await fleet.insert(critical.id, 3)).id;
      ids.low1d = (await fleet.insert(low.id, 1)).id;
      ids.medium40d = (await fleet.insert(medium.id, 40)).id;
      ids.orphan = (await fleet.insert(suspended.id, 60)).id;
      ids.weak = (await fleet.insert(medium.id, 200, { key_type: 'rsa-1024', profile: 'tls-server', lifetimeDays: 397 })).id;
      ids.expired = (await fleet.insert(critical.id, -5, { profile: 'sensor', lifetimeDays: 30 })).id;
      ids.revoked = (await fleet.insert(critical.id, 1, { profile: 'tls-server', status: 'revoked', revocation_reason: 'keyCompromise', revoked_at: now.toISOString() })).id;
      ids.renewed = (await fleet.insert(high.id, 2)).id;
      ids.successor = (await fleet.insert(high.id, 88, { replaces_id: ids.renewed })).id;
      ids.issued = (await fleet.issue(medium.id, 'sensor')).id;
    });
    after(async () => {
      await fleet?.close();
      await engine.cleanup();
    });

    test('ranks by weight x points: a critical device 3 days out before a low one 1 day out', { skip: engine.skip }, async () => {
      const page = await rank();
      const order = page.items.map(labelOf);
      assert.deepEqual(order, ['critical3d', 'expired', 'orphan', 'low1d', 'weak', 'issued', 'medium40d', 'successor']);
      const byLabel = Object.fromEntries(page.items.map((i) => [labelOf(i), i]));
      // 4 x (65 for under 7 days + 40 for a renewal failed with under a tenth of 90 days left).
      assert.deepEqual([byLabel.critical3d.score, byLabel.critical3d.reasons], [420, ['expires-within-7d', 'renewal-failed']]);
      assert.deepEqual([byLabel.low1d.score, byLabel.low1d.reasons], [120, ['expires-within-3d', 'renewal-failed']]);
      assert.deepEqual([byLabel.expired.score, byLabel.expired.reasons], [400, ['expired']]);
      assert.deepEqual([byLabel.orphan.score, byLabel.orphan.reasons], [180, ['orphan']]);
      assert.deepEqual([byLabel.weak.score, byLabel.weak.reasons, byLabel.weak.keyType], [100, ['weak-key'], 'rsa-1024']);
      assert.deepEqual([byLabel.medium40d.score, byLabel.successor.score], [20, 9]);
      assert.equal(byLabel.critical3d.device?.criticality, 'critical');
      assert.equal(byLabel.expired.daysLeft, -5);
      assert.equal(page.nextCursor, null);
    });

    test('pages of two give the same ranking, each certificate once', { skip: engine.skip }, async () => {
      const whole = (await rank()).items.map((i) => i.certificateId);
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        // Later pages are ranked as of the first page's instant, whatever `now` they are asked at.
        const page = await rank(2, cursor, cursor ? new Date(now.getTime() + 30 * DAY) : now);
        assert.ok(page.items.length <= 2);
        paged.push(...page.items.map((i) => i.certificateId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(paged, whole);
    });

    test('after the lifecycle expiry scan, expired certificates come from its alerts', { skip: engine.skip }, async () => {
      const run = await runJobNow(lifecycleFor(fleet.ctx), 'expiry', 'test');
      assert.equal(run.outcome, 'success');
      const page = await rank(100, undefined, new Date());
      assert.ok(page.segmentsRead.includes('expired-alerted'), page.segmentsRead.join());
      assert.equal(page.items.find((i) => i.certificateId === ids.expired)?.score, 400);
    });

    test('a device edited after its suspension is an orphan exactly when the lifecycle says so, not later', { skip: engine.skip }, async () => {
      const device = await fleet.device({ criticality: 'low' });
      const certificate = await fleet.insert(device.id, 90);
      await suspendDevice(fleet.ctx, device.id, 'test');
      const event = await fleet.ctx.db.selectFrom('audit_events').select('at').where('target', '=', `device:${device.id}`).where('action', '=', 'device.suspend').executeTakeFirstOrThrow();
      await new Promise((resolve) => setTimeout(resolve, 5));
      // An edit long after the suspension (here: moments, the clock below walks the rest) moves updated_at, not the suspension.
      const edited = await updateDevice(fleet.ctx, device.id, { owner: 'night-shift@example.com' }, 'test');
      assert.ok(edited.updated_at > event.at, `${edited.updated_at} after ${event.at}`);
      const matured = new Date(Date.parse(event.at) + riskPolicyOf(fleet.ctx.config).suspendedForSeconds * 1000);
      const justBefore = new Date(matured.getTime() - 1);

      const reported = async (at: Date) => (await rank(100, undefined, at)).items.find((i) => i.certificateId === certificate.id)?.reasons;
      const alerted = async (at: Date) => {
        const lc = createLifecycle(fleet.ctx, { clock: () => at, instanceId: `orphans-${at.getTime()}` });
        const run = await runJob(lc, lc.jobs.get('orphans')!, 'manual');
        assert.equal(run.ran && run.outcome, 'success');
        const alert = await fleet.ctx.db.selectFrom('alerts').select('state').where('kind', '=', 'certificate.orphan').where('subject', '=', `certificate:${certificate.id}`).executeTakeFirst();
        return alert?.state;
      };
      assert.deepEqual([await reported(justBefore), await alerted(justBefore)], [undefined, undefined], 'one millisecond early: neither');
      assert.deepEqual([await reported(matured), await alerted(matured)], [['orphan'], 'open'], 'at the suspension plus suspendedForSeconds: both');
    });

    test('GET /api/v1/reports/risk pages the same ranking; a bad cursor is a 400', { skip: engine.skip }, async () => {
      const app = await buildApi(fleet.ctx);
      try {
        const call = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${fleet.adminToken}` } });
        const first = await call('/api/v1/reports/risk?limit=3');
        assert.equal(first.statusCode, 200);
        const body = first.json();
        assert.equal(body.items[0].certificateId, ids.critical3d);
        assert.equal(body.items.length, 3);
        const second = (await call(`/api/v1/reports/risk?limit=3&after=${body.nextCursor}`)).json();
        assert.equal(second.items[0].certificateId, ids.low1d);
        const bad = await call('/api/v1/reports/risk?after=bm90LWEtY3Vyc29y');
        assert.equal(bad.statusCode, 400);
        assert.match(bad.json().error.message, /cursor/);
      } finally {
        await app.close();
      }
    });
  });
}
