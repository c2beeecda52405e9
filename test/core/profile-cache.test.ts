// The issuing path serves profiles from memory (src/app/profiles.ts). What must hold: an
// edit through this process takes effect on the very next issuance, and one made by another
// process sharing the database (the CLI beside a server) within PROFILE_RECHECK_MS.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { closeContext, openContext, type Context } from '../../src/app/context.ts';
import { createDevice } from '../../src/app/devices.ts';
import { deleteProfile, getProfile, putProfile, PROFILE_RECHECK_MS } from '../../src/app/profiles.ts';
import { NotFound } from '../../src/errors.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

const DAY_MS = 86_400_000;

describe('profile cache', () => {
  let fleet: TestFleet;
  /** A second process's view of the same database. */
  let other: Context;
  let csr: string;

  before(async () => {
    fleet = await openTestFleet();
    other = await openContext(fleet.ctx.config, { log: pino({ level: 'silent' }) });
    csr = opensslCsr(fleet.dir, 'ec-p256').pem;
  });
  after(async () => {
    await closeContext(other);
    await fleet?.close();
  });

  const lifetimeDays = async (profile: string) => {
    const device = await createDevice(fleet.ctx, { externalSerial: `SN-${Math.random()}`, deviceClass: 'sensor', environment: 'production' }, 'test');
    const row = await issueFromCsr(fleet.ctx, { csr, profile, deviceId: device.id }, 'test');
    return Math.round((Date.parse(row.not_after) - Date.parse(row.not_before)) / DAY_MS);
  };

  it('an edit through this process applies to the next issuance', async () => {
    const sensor = await getProfile(fleet.ctx, 'sensor');
    assert.equal(await lifetimeDays('sensor'), 30);
    await putProfile(fleet.ctx, { ...sensor, validity: '10d' }, 'test');
    assert.equal(await lifetimeDays('sensor'), 10);
  });

  it('an edit by another process applies within the recheck bound', async () => {
    const sensor = await getProfile(fleet.ctx, 'sensor');
    await putProfile(other, { ...sensor, validity: '5d' }, 'test');
    await sleep(PROFILE_RECHECK_MS + 20);
    assert.equal((await getProfile(fleet.ctx, 'sensor')).validity, '5d');
    assert.equal(await lifetimeDays('sensor'), 5);
  });

  it('a profile deleted by another process is refused within the bound', async () => {
    const sensor = await getProfile(fleet.ctx, 'sensor');
    await putProfile(fleet.ctx, { ...sensor, name: 'short-lived' }, 'test');
    assert.equal(await lifetimeDays('short-lived'), 5);
    await deleteProfile(other, 'short-lived', 'test');
    await sleep(PROFILE_RECHECK_MS + 20);
    await assert.rejects(getProfile(fleet.ctx, 'short-lived'), NotFound);
    await assert.rejects(lifetimeDays('short-lived'), /unknown profile short-lived/);
  });

  it('a profile deleted through this process is refused at once', async () => {
    const sensor = await getProfile(fleet.ctx, 'sensor');
    await putProfile(fleet.ctx, { ...sensor, name: 'gone-now' }, 'test');
    assert.equal((await getProfile(fleet.ctx, 'gone-now')).name, 'gone-now');
    await deleteProfile(fleet.ctx, 'gone-now', 'test');
    await assert.rejects(getProfile(fleet.ctx, 'gone-now'), NotFound);
  });
});
