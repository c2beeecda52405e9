// Unidentified callers repeating a refused request: the first refusal per address, route and
// reason each minute is audited, the repeats only counted into the next event; the sampler's
// rule on its own with a made-up clock, then through the API. Refusals of identified callers
// stay one event each.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnonymousRefusals } from '../../src/audit/anonymous-refusals.ts';
import { openApi, type ApiHarness } from './harness.ts';

describe('the anonymous refusal sampler', () => {
  it('writes the first refusal of each minute per address, route and reason and counts the repeats into the next', () => {
    const s = new AnonymousRefusals(60_000);
    assert.deepEqual(s.sample('192.0.2.1', 'GET /x', 'unknown API token', 0), { write: true, repeats: 0 });
    assert.deepEqual(s.sample('192.0.2.1', 'GET /x', 'unknown API token', 10), { write: false, repeats: 1 });
    assert.deepEqual(s.sample('192.0.2.1', 'GET /x', 'unknown API token', 20), { write: false, repeats: 2 });
    assert.equal(s.sample('192.0.2.2', 'GET /x', 'unknown API token', 20).write, true, 'another address');
    assert.equal(s.sample('192.0.2.1', 'GET /y', 'unknown API token', 20).write, true, 'another route');
    assert.equal(s.sample('192.0.2.1', 'GET /x', 'missing bearer token', 20).write, true, 'another reason');
    assert.deepEqual(s.sample('192.0.2.1', 'GET /x', 'unknown API token', 60_000), { write: true, repeats: 2 }, 'a minute later, with the count');
    assert.deepEqual(s.sample('192.0.2.1', 'GET /x', 'unknown API token', 60_001), { write: false, repeats: 1 });
  });
});

describe('anonymous refusals through the API', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  it('200 requests with a wrong token are all refused with 401, and audited once', async () => {
    const before = (await api.audit({ action: 'api.auth', actor: 'anonymous' })).length;
    for (let i = 0; i < 200; i++) {
      const response = await api.call('GET', '/api/v1/devices', { token: `fpk_guess${i}` });
      assert.equal(response.statusCode, 401);
    }
    const events = await api.audit({ action: 'api.auth', actor: 'anonymous' });
    assert.equal(events.length, before + 1);
    assert.equal(events[0].target, 'GET /api/v1/devices');
    assert.equal(events[0].details!.reason, 'unknown API token');
    assert.equal(events[0].details!.from, '127.0.0.1');
  });

  it('an identified caller refused by its role is audited every time', async () => {
    const token = (await api.call('POST', '/api/v1/tokens', { body: { name: 'reader', role: 'auditor' } })).json().token;
    const before = (await api.audit({ action: 'api.auth', actor: 'token:reader' })).length;
    for (let i = 0; i < 5; i++) assert.equal((await api.call('POST', '/api/v1/devices', { token, body: { externalSerial: `X-${i}`, deviceClass: 'sensor' } })).statusCode, 403);
    assert.equal((await api.audit({ action: 'api.auth', actor: 'token:reader' })).length, before + 5);
  });
});
