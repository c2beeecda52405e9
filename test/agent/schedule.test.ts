// The renewal schedule as pure functions: the window, the jitter span, the backoff and its
// cap, and what happens at and after expiry.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, decide, fingerprintFraction, renewalPoint, renewalTime, retryDelay, usablePoint } from '../../src/agent/schedule.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const validity = { notBefore: new Date(T0), notAfter: new Date(T0 + 20_000) };
const at = (ms: number) => new Date(T0 + ms);

describe('renewalTime', () => {
  test('without jitter, renews exactly at the renewAfter fraction of the lifetime', () => {
    assert.equal(renewalTime(validity, { renewAfter: 0.5, jitter: 0 }, 0.99).getTime(), T0 + 10_000);
  });

  test('jitter spreads over its fraction of the time left, never past notAfter', () => {
    const policy = { renewAfter: 0.5, jitter: 0.2 };
    assert.equal(renewalTime(validity, policy, 0).getTime(), T0 + 10_000);
    assert.equal(renewalTime(validity, policy, 0.5).getTime(), T0 + 11_000);
    assert.ok(renewalTime(validity, policy, 0.999999).getTime() <= T0 + 12_000);
    assert.ok(renewalTime(validity, { renewAfter: 0.9, jitter: 1 }, 0.999999) < validity.notAfter);
  });

  test("the server's renewal point replaces the fraction, the jitter spreading over what is left after it", () => {
    const policy = { renewAfter: 0.5, jitter: 0.5 };
    assert.equal(renewalTime(validity, { ...policy, jitter: 0 }, 0.9, at(16_000)).getTime(), T0 + 16_000);
    assert.equal(renewalTime(validity, policy, 0.5, at(16_000)).getTime(), T0 + 16_000 + 1_000);
    assert.equal(renewalPoint(validity, policy, at(16_000)).getTime(), T0 + 16_000);
  });

  test('a server point outside the lifetime (or unreadable) is ignored: the fraction decides', () => {
    const policy = { renewAfter: 0.5, jitter: 0 };
    for (const point of [at(-1), at(20_001), new Date(Number.NaN), null]) {
      assert.equal(renewalTime(validity, policy, 0, point).getTime(), T0 + 10_000, String(point));
      assert.equal(usablePoint(validity, point), false);
    }
    assert.equal(usablePoint(validity, at(0)), true);
    assert.equal(usablePoint(validity, at(20_000)), true);
  });

  test('the same fingerprint always gives the same place in the span (stable across restarts)', () => {
    const f = fingerprintFraction('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    assert.equal(f, fingerprintFraction('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'));
    assert.ok(f >= 0 && f < 1);
    assert.equal(fingerprintFraction('ffffffffffff'), (2 ** 48 - 1) / 2 ** 48);
  });
});

describe('backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  test('doubles from the base and stops at the cap', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, policy, 0.999999)), [1000, 2000, 4000, 8000]);
    assert.equal(backoffDelay(30, policy, 0.999999), 60_000);
  });

  test('is scaled into [half, full] by the random number, so devices do not retry in step', () => {
    assert.equal(backoffDelay(3, policy, 0), 2000);
    assert.equal(backoffDelay(3, policy, 0.5), 3000);
  });

  test('wakes just after expiry when the backoff would sleep past it', () => {
    assert.equal(retryDelay(at(18_000), validity, 10, policy, 0.999999), 3000);
    assert.equal(retryDelay(at(1_000), validity, 1, policy, 0.999999), 1000);
  });

  test("a server's Retry-After is honoured, capped like the backoff and by the expiry", () => {
    assert.equal(retryDelay(at(1_000), validity, 1, policy, 0, 7000), 7000);
    assert.equal(retryDelay(at(1_000), validity, 1, policy, 0, 3_600_000), 20_000);
    assert.equal(retryDelay(at(1_000), null, 1, policy, 0, 3_600_000), 60_000);
  });
});

describe('decide', () => {
  const renewAt = at(10_000);

  test('waits until the renewal time, then renews while the certificate is valid', () => {
    assert.deepEqual(decide(at(5_000), validity, renewAt, true), { kind: 'wait', until: renewAt });
    assert.deepEqual(decide(at(10_000), validity, renewAt, true), { kind: 'renew' });
    assert.deepEqual(decide(at(20_000), validity, renewAt, true), { kind: 'renew' });
  });

  test('after notAfter the certificate is never renewed with: the IDevID enrols again, or the device is stranded', () => {
    assert.deepEqual(decide(at(20_001), validity, renewAt, true), { kind: 'rebootstrap' });
    assert.deepEqual(decide(at(20_001), validity, renewAt, false), { kind: 'stranded' });
  });

  test('with no certificate, only an IDevID can start on its own', () => {
    assert.deepEqual(decide(at(0), null, null, true), { kind: 'rebootstrap' });
    assert.deepEqual(decide(at(0), null, null, false), { kind: 'unenrolled' });
  });
});
