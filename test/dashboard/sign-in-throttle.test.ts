// Failed sign-ins slow the next attempts down: the rule on its own with a made-up clock, then
// through the API, where a held-back attempt is answered 429 with Retry-After without the
// password being looked at (the right password is refused too while held back), audited once
// per lock-out with the rest counted into the next event, for unknown usernames exactly as
// for real ones, and cleared by a successful sign-in.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SignInThrottle } from '../../src/app/sign-in-throttle.ts';
import { errorOf } from '../api/harness.ts';
import { openDashboard, type DashboardHarness } from './harness.ts';

describe('the sign-in throttle rule', () => {
  it('lets freeFailures through, then waits 1 s, 2 s, 4 s ... up to the maximum, per username', () => {
    const t = new SignInThrottle({ freeFailures: 3, maxDelayMs: 5000 });
    let now = 1_000_000;
    for (let i = 0; i < 3; i++) {
      assert.equal(t.check('olivia', undefined, now).retryAfterMs, 0, `attempt ${i + 1} is free`);
      t.failed('olivia', undefined, now);
    }
    assert.equal(t.check('olivia', undefined, now).retryAfterMs, 1000);
    assert.equal(t.check('OLIVIA', undefined, now + 400).retryAfterMs, 600, 'usernames are matched without case');
    assert.equal(t.check('someone-else', undefined, now).retryAfterMs, 0, 'another username is not held back');
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      t.failed('olivia', undefined, now);
      waits.push(t.check('olivia', undefined, now).retryAfterMs);
    }
    assert.deepEqual(waits, [2000, 4000, 5000, 5000, 5000]);
    t.succeeded('olivia');
    assert.equal(t.check('olivia', undefined, now).retryAfterMs, 0, 'a success clears the count');
  });

  it('gives a source address four times the free failures, forgets after an hour quiet, and stays bounded', () => {
    const t = new SignInThrottle({ freeFailures: 2, maxDelayMs: 60_000, maxEntries: 100 });
    const now = 5_000_000;
    for (let i = 0; i < 8; i++) t.failed(`user-${i}`, '192.0.2.7', now);
    const verdict = t.check('user-new', '192.0.2.7', now);
    assert.equal(verdict.retryAfterMs, 1000);
    assert.equal(verdict.key, 'from:192.0.2.7');
    assert.equal(t.check('user-new', '192.0.2.8', now).retryAfterMs, 0, 'another address is not held back');
    assert.equal(t.check('user-0', '192.0.2.9', now + 3_600_001).retryAfterMs, 0, 'forgotten after an hour without failures');
    for (let i = 0; i < 1000; i++) t.failed(`spray-${i}`, undefined, now);
    assert.ok(t.size <= 100, `bounded: ${t.size}`);
  });

  it('asks for the first held-back attempt of a lock-out to be audited and counts the others', () => {
    const t = new SignInThrottle({ freeFailures: 1, maxDelayMs: 60_000 });
    t.failed('olivia', undefined, 0);
    assert.equal(t.check('olivia', undefined, 10).audit, true);
    assert.equal(t.check('olivia', undefined, 20).audit, false);
    assert.equal(t.check('olivia', undefined, 30).audit, false);
    assert.equal(t.drainSuppressed('olivia', undefined), 2);
    assert.equal(t.drainSuppressed('olivia', undefined), 0);
    t.failed('olivia', undefined, 5000);
    assert.equal(t.check('olivia', undefined, 5010).audit, true, 'a new failure starts a new lock-out');
  });
});

describe('sign-in throttling through the API', () => {
  let d: DashboardHarness;
  let free: number;
  before(async () => {
    d = await openDashboard();
    free = d.fleet.ctx.config.dashboard.signInFreeFailures;
    await d.user('operator', 'olivia');
  });
  after(() => d.close());

  async function refusedEvents(username: string) {
    return (await d.audit({ action: 'session.sign-in', outcome: 'refused' })).filter((e) => e.target === `user:${username}`);
  }

  for (const [username, what] of [['olivia', 'an account'], ['nobody-here', 'a name that is no account']] as const) {
    it(`${what}: after ${5} wrong passwords the next attempt is 429 with Retry-After, even with the right password, audited once`, async () => {
      assert.equal(free, 5, 'the default');
      for (let i = 0; i < free; i++) {
        const response = await d.signIn(username, `wrong password ${i}`);
        assert.equal(response.statusCode, 401, `attempt ${i + 1}`);
      }
      const held = await d.signIn(username);
      assert.equal(held.statusCode, 429, held.body);
      assert.equal(held.headers['retry-after'], '1');
      assert.equal(errorOf(held).code, 'too_many_requests');
      assert.equal(errorOf(held).message, 'too many failed sign-ins: wait 1 s before trying again');
      assert.equal(held.headers['set-cookie'], undefined, 'no session');
      for (let i = 0; i < 3; i++) assert.equal((await d.signIn(username)).statusCode, 429);
      const events = await refusedEvents(username);
      assert.equal(events.length, free + 1, 'each failure and the first held-back attempt; the other three only counted');
      const throttled = events.find((e) => String(e.details?.reason).startsWith('throttled'))!;
      assert.equal(throttled.details!.reason, `throttled after ${free} failed sign-ins (this username)`);
      assert.equal(throttled.details!.retryAfterSeconds, 1);

      await sleep(1100);
      if (username === 'olivia') {
        const ok = await d.signIn(username);
        assert.equal(ok.statusCode, 200, 'the wait is over: the right password opens a session');
        const [success] = await d.audit({ action: 'session.sign-in', outcome: 'success' });
        assert.equal(success.target, 'user:olivia');
        assert.equal((await d.signIn(username, 'wrong again')).statusCode, 401, 'and the count starts again from nothing');
      } else {
        const again = await d.signIn(username, 'still guessing');
        assert.equal(again.statusCode, 401);
        const [latest] = await refusedEvents(username);
        assert.equal(latest.details!.reason, 'no such user');
        assert.equal(latest.details!.heldBackUnaudited, 3, 'the held-back attempts are counted in the next event');
        assert.equal((await d.signIn(username)).statusCode, 429, 'the sixth failure doubles the wait');
        assert.equal((await d.signIn(username)).headers['retry-after'], '2');
      }
    });
  }
});
