// Two scheduler instances on one store never run the same job at the same time: two Contexts
// on one SQLite file, and (when FLEETPKI_TEST_PG_URL answers) two on one fresh PostgreSQL
// schema. A probe job records when it is inside its run, in real time; the runs of both
// instances are checked for overlap, for "once per interval" and for takeover after a crash.
//
// On SQLite, node:sqlite waits for a lock synchronously, so one process with two Contexts
// blocks its own event loop if one of them holds a write transaction across an await while
// the other writes. The probe writes nothing, and the lease and run records are single
// statements, so this test exercises exactly the lease; real instances are separate processes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { closeContext, openContext, type Context } from '../../src/app/context.ts';
import { acquireLease } from '../../src/lifecycle/leases.ts';
import type { Job } from '../../src/lifecycle/jobs/job.ts';
import { lifecycleStatus } from '../../src/lifecycle/operations.ts';
import { runJob } from '../../src/lifecycle/runner.ts';
import { startRun } from '../../src/lifecycle/runs.ts';
import { LifecycleScheduler } from '../../src/lifecycle/scheduler.ts';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle/service.ts';
import { postgresCase, sqliteCase, type EngineCase } from '../store/engines.ts';
import { device, issue, openLifecycleFleet, shortProfile, testClock } from './helpers.ts';

interface Span {
  holder: string;
  start: number;
  end: number;
}

/** A job that stays inside its run for a few milliseconds and records when, per instance. */
function probe(spans: Span[]): Job {
  return {
    name: 'probe',
    description: 'test probe',
    async run({ lc }) {
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 15));
      spans.push({ holder: lc.instanceId, start, end: performance.now() });
      return { spans: 1 };
    },
  };
}

function assertNoOverlap(spans: Span[]): void {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i].start >= sorted[i - 1].end, `runs overlap: ${JSON.stringify(sorted[i - 1])} and ${JSON.stringify(sorted[i])}`);
  }
}

async function engineCase(engine: 'sqlite' | 'postgres'): Promise<EngineCase> {
  const c = engine === 'sqlite' ? sqliteCase() : await postgresCase();
  if (c.skip) console.log(`# lifecycle leases on PostgreSQL skipped: ${c.skip}`);
  return c;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`two instances on one ${engine} store`, async () => {
    const store = await engineCase(engine);
    const clock = testClock();
    const spans: Span[] = [];
    let fleet: Awaited<ReturnType<typeof openLifecycleFleet>>;
    let second: Context;
    let a: Lifecycle;
    let b: Lifecycle;

    before(async () => {
      if (store.skip) return;
      fleet = await openLifecycleFleet({ leaseSeconds: 30, jobs: { 'crl-refresh': { enabled: engine === 'postgres' } } }, { db: store.url });
      second = await openContext(fleet.ctx.config, { log: pino({ level: 'silent' }) });
      a = createLifecycle(fleet.ctx, { clock: clock.clock, instanceId: 'instance-a', jobs: [probe(spans)] });
      b = createLifecycle(second, { clock: clock.clock, instanceId: 'instance-b', jobs: [probe(spans)] });
    });

    after(async () => {
      if (second) await closeContext(second);
      await fleet?.close();
      await store.cleanup();
    });

    test('scheduled: at each due time exactly one of them runs the job', { skip: store.skip }, async () => {
      const contenders = [a, b, a, b];
      const winners: string[] = [];
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all(contenders.map((lc) => runJob(lc, lc.jobs.get('probe')!, 'schedule')));
        assert.equal(results.filter((r) => r.ran).length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.ran))}`);
        const won = results.findIndex((r) => r.ran);
        winners.push(contenders[won].instanceId);
        // The losers were told who holds the lease: the winner.
        for (const r of results) if (!r.ran) assert.equal(r.lease?.holder, contenders[won].instanceId, `round ${round}`);
        const again = await Promise.all([a, b].map((lc) => runJob(lc, lc.jobs.get('probe')!, 'schedule')));
        assert.ok(again.every((r) => !r.ran), 'not again before the interval has passed');
        clock.advance(3_600_000);
      }
      assertNoOverlap(spans);
      // Exactly one run per round, by the instance whose runJob said it ran, recorded under that holder.
      assert.deepEqual(spans.map((s) => s.holder), winners);
      const recorded = await fleet.ctx.db.selectFrom('job_runs').select(['holder', 'outcome']).where('job', '=', 'probe').orderBy('started_at').orderBy('id').execute();
      assert.deepEqual(recorded, winners.map((holder) => ({ holder, outcome: 'success' })));
    });

    test('manual runs: as many attempts as you like, never two at once', { skip: store.skip }, async () => {
      spans.length = 0;
      let ran = 0;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => runJob(i % 2 ? a : b, a.jobs.get('probe')!, 'manual')));
        const winners = results.filter((r) => r.ran).length;
        assert.ok(winners >= 1, `round ${round}: somebody runs the job`);
        ran += winners;
      }
      // Every attempt that said it ran did run, once, and no other.
      assert.equal(spans.length, ran);
      assertNoOverlap(spans);
    });

    test('a crashed holder keeps the job until its lease expires; its run is then recorded as abandoned', { skip: store.skip }, async () => {
      const now = clock.now();
      assert.ok(await acquireLease(fleet.ctx.db, { job: 'probe', holder: 'crashed', now, leaseMs: 30_000, scheduled: false }));
      const stale = await startRun(fleet.ctx.db, 'probe', 'crashed', 'manual', now);
      const blocked = await runJob(b, b.jobs.get('probe')!, 'manual');
      assert.equal(blocked.ran, false);
      assert.equal(!blocked.ran && blocked.lease?.holder, 'crashed');
      const status = await lifecycleStatus(b);
      const probeStatus = status.jobs.find((j) => j.name === 'probe')!;
      assert.deepEqual([probeStatus.running, probeStatus.lease?.holder], [true, 'crashed']);
      clock.advance(30_001);
      const taken = await runJob(b, b.jobs.get('probe')!, 'manual');
      assert.equal(taken.ran, true);
      const row = await fleet.ctx.db.selectFrom('job_runs').selectAll().where('id', '=', stale).executeTakeFirstOrThrow();
      assert.equal(row.outcome, 'abandoned');
    });

    test('two schedulers ticking together run every real job once per interval', { skip: store.skip }, async () => {
      // PostgreSQL also gets findings (alert writes in transactions: expired certificates, the
      // clock being hours ahead) and the CRL job; SQLite not, see the note at the top.
      if (engine === 'postgres') {
        await shortProfile(fleet, 'short', '100s');
        for (let i = 0; i < 3; i++) await issue(fleet, await device(fleet, 'pair'), 'short');
      }
      clock.advance(3_600_000);
      const schedulers = [new LifecycleScheduler(a), new LifecycleScheduler(b)];
      const before = await fleet.ctx.db.selectFrom('job_runs').select('id').execute();
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(schedulers.map((s) => s.tick()));
        for (const job of a.jobs.keys()) {
          if (job === 'crl-refresh' && engine === 'sqlite') continue;
          const ran = results.filter((r) => r[job]?.ran).length;
          assert.equal(ran, 1, `round ${round}: job ${job} ran ${ran} times`);
        }
        clock.advance(3_600_000);
      }
      await Promise.all(schedulers.map((s) => s.stop()));
      const runs = await fleet.ctx.db.selectFrom('job_runs').selectAll().where('id', 'not in', before.map((r) => r.id)).execute();
      assert.ok(runs.every((r) => r.outcome === 'success'), JSON.stringify(runs.filter((r) => r.outcome !== 'success')));
      if (engine === 'postgres') {
        const alerts = await fleet.ctx.db.selectFrom('alerts').select(['kind', 'subject']).execute();
        const keys = alerts.map((x) => `${x.kind} ${x.subject}`);
        assert.equal(new Set(keys).size, keys.length, 'no alert raised twice');
        assert.ok(keys.some((k) => k.startsWith('certificate.expired')), keys.join('\n'));
      }
    });
  });
}
