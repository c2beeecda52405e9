// Bulk device registration: 5,000 rows with bad ones among them. Every bad row is named by
// its line and reason, every good row is registered (and audited), duplicates are refused.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listAudit } from '../../src/app/audit.ts';
import { createDevice } from '../../src/app/devices.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { FleetPkiError } from '../../src/errors.ts';
import { importDevices } from '../../src/factory/device-import.ts';
import { arrayElementLines, readDeviceRows } from '../../src/factory/device-rows.ts';
import { countDevices, getDeviceBySerial } from '../../src/store/repos/devices.ts';
import { cli, tempDir } from '../cli/run.ts';
import { testCa } from '../discovery/fixtures.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';

let fleet: TestFleet;
before(async () => (fleet = await openTestFleet()));
after(() => fleet?.close());

/** 5,000 devices, with the faults a factory file has, at known lines (line 1 is the header). */
function factoryCsv(prefix: string): { text: string; faults: Map<number, RegExp> } {
  const lines = ['serial,class,environment,site,criticality,meta.batch'];
  const faults = new Map<number, RegExp>();
  for (let i = 0; i < 5000; i++) {
    const line = lines.length + 1;
    if (i === 17) (lines.push(`${prefix}-${i},,production,plant-1,high,7`), faults.set(line, /deviceClass/));
    else if (i === 1234) (lines.push(`${prefix}-${i},sensor,production,plant-1,extreme,7`), faults.set(line, /criticality/));
    else if (i === 2500) (lines.push(`${prefix}-${i},sensor,production`), faults.set(line, /expected 6 fields as in the header, found 3/));
    else if (i === 4000) (lines.push(`${prefix}-3999,sensor,production,plant-1,low,7`), faults.set(line, new RegExp(`duplicate: serial ${prefix}-3999 is already on line ${line - 1}`)));
    else if (i === 4999) (lines.push(`${prefix}-EXISTING,sensor,production,plant-1,low,7`), faults.set(line, /already registered/));
    else lines.push(`${prefix}-${i},sensor,production,plant-1,medium,7`);
  }
  return { text: `${lines.join('\n')}\n`, faults };
}

describe('device import', () => {
  test('5,000 rows: the good ones registered in batches, each bad one reported by line and reason', async () => {
    await createDevice(fleet.ctx, { externalSerial: 'F1-EXISTING', deviceClass: 'sensor', environment: 'production' }, 'test');
    const { text, faults } = factoryCsv('F1');
    const started = Date.now();
    const report = await importDevices(fleet.ctx, readDeviceRows(text, 'csv'), { defaults: {}, source: 'factory.csv' }, 'test');
    const elapsed = Date.now() - started;
    assert.equal(report.total, 5000);
    assert.equal(report.imported, 4995);
    assert.deepEqual(report.errors.map((e) => e.line), [...faults.keys()]);
    for (const error of report.errors) assert.match(error.reason, faults.get(error.line)!, `line ${error.line}`);
    assert.equal(await countDevices(fleet.ctx.db, { q: 'F1-' }), 4996, 'the 4,995 new devices and the one that was there');
    const device = await getDeviceBySerial(fleet.ctx.db, 'F1-42');
    assert.equal(device?.site, 'plant-1');
    assert.deepEqual(JSON.parse(device!.metadata), { batch: '7' });
    // Rows go through the group commit in batches, not one transaction each.
    assert.ok(fleet.ctx.ledger.batches < 200, `${fleet.ctx.ledger.batches} commits for 5,000 rows`);
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
    const refused = (await listAudit(fleet.ctx, { action: 'device.create', outcome: 'refused' }, { limit: 10 })).items;
    assert.ok(refused.some((e) => e.target === 'device-serial:F1-EXISTING'), 'refusing a duplicate is audited');
  });

  test('JSON and JSON Lines rows carry their line numbers too', async () => {
    const json = `[\n  {"serial": "J-1", "class": "sensor", "environment": "lab"},\n  {"serial": "J-2",\n   "environment": "lab"},\n  "not an object"\n]\n`;
    const report = await importDevices(fleet.ctx, readDeviceRows(json, 'json'), { defaults: {}, source: 'x.json' }, 'test');
    assert.deepEqual(report.errors.map((e) => [e.line, e.serial]), [[3, 'J-2'], [5, null]]);
    assert.match(report.errors[1].reason, /not a JSON object/);
    const jsonl = '{"externalSerial": "L-1", "deviceClass": "sensor", "environment": "lab"}\n\n{"externalSerial": "L-2", broken\n';
    const lines = await importDevices(fleet.ctx, readDeviceRows(jsonl, 'jsonl'), { defaults: {}, source: 'x.jsonl' }, 'test');
    assert.equal(lines.imported, 1);
    assert.deepEqual(lines.errors.map((e) => e.line), [3]);
    assert.deepEqual(arrayElementLines('[1, [2, "a,]"],\n{"b": [3]}]'), [1, 1, 2]);
  });

  test('--class and --environment fill rows that give none; --dry-run registers nothing', async () => {
    const rows = readDeviceRows('serial\nD-1\nD-2\n', 'csv');
    const dry = await importDevices(fleet.ctx, rows, { defaults: { deviceClass: 'meter', environment: 'production' }, source: 'd.csv', dryRun: true }, 'test');
    assert.equal(dry.imported, 2);
    assert.equal(await getDeviceBySerial(fleet.ctx.db, 'D-1'), undefined);
    await importDevices(fleet.ctx, rows, { defaults: { deviceClass: 'meter', environment: 'production' }, source: 'd.csv' }, 'test');
    assert.equal((await getDeviceBySerial(fleet.ctx.db, 'D-2'))?.device_class, 'meter');
  });

  test('a manufacturer column binds devices; an unknown name is refused alike in a dry run and a real one, audited', async () => {
    await addManufacturer(fleet.ctx, 'acme-meters', testCa(fleet.dir, '/O=Acme/CN=Acme Meter CA').pem, 'test');
    // What createDevice itself says of an unknown name: the importer must refuse in the same words.
    const direct = await createDevice(fleet.ctx, { externalSerial: 'M-DIRECT', deviceClass: 'meter', environment: 'lab', manufacturer: 'nobody-ltd' }, 'test').catch((e: FleetPkiError) => e);
    assert.ok(direct instanceof FleetPkiError && direct.code === 'not_found');
    const lines = ['serial,class,environment,manufacturer'];
    for (let i = 0; i < 20; i++) lines.push(`M-${i},meter,lab,${i === 10 ? 'nobody-ltd' : i % 2 ? 'acme-meters' : ''}`);
    lines.push(`M-LONG,meter,lab,${'x'.repeat(65)}`);
    const csv = readDeviceRows(`${lines.join('\n')}\n`, 'csv');
    const objects = [{ externalSerial: 'MJ-1', manufacturer: 'acme-meters' }, { externalSerial: 'MJ-2', manufacturer: 'nobody-ltd' }, { externalSerial: 'MJ-3', manufacturer: null }];
    const json = readDeviceRows(`[\n${objects.map((o) => JSON.stringify({ ...o, deviceClass: 'meter', environment: 'lab' })).join(',\n')}\n]\n`, 'json');
    const options = { defaults: {}, source: 'meters.csv' };

    const dry = await importDevices(fleet.ctx, csv, { ...options, dryRun: true }, 'test');
    const dryJson = await importDevices(fleet.ctx, json, { ...options, source: 'meters.json', dryRun: true }, 'test');
    assert.equal(await getDeviceBySerial(fleet.ctx.db, 'M-1'), undefined, 'a dry run registers nothing');
    const committed = fleet.ctx.ledger.batches;
    const real = await importDevices(fleet.ctx, csv, options, 'test');
    // The unknown name is refused before the ledger, so the batch is not split into single commits.
    assert.ok(fleet.ctx.ledger.batches - committed <= 4, `${fleet.ctx.ledger.batches - committed} commits for 20 rows`);
    const realJson = await importDevices(fleet.ctx, json, { ...options, source: 'meters.json' }, 'test');

    for (const report of [dry, real]) {
      assert.equal(report.imported, 19);
      assert.deepEqual(report.errors.map((e) => [e.line, e.serial]), [[12, 'M-10'], [22, 'M-LONG']]);
      assert.equal(report.errors[0].reason, direct.message);
      assert.match(report.errors[1].reason, /manufacturer: .*64/);
    }
    for (const report of [dryJson, realJson]) {
      assert.equal(report.imported, 2);
      assert.deepEqual(report.errors.map((e) => [e.line, e.serial, e.reason]), [[3, 'MJ-2', direct.message]]);
    }
    assert.equal((await getDeviceBySerial(fleet.ctx.db, 'M-1'))?.manufacturer, 'acme-meters');
    assert.equal((await getDeviceBySerial(fleet.ctx.db, 'M-2'))?.manufacturer, null, 'an empty cell binds to no manufacturer');
    assert.equal((await getDeviceBySerial(fleet.ctx.db, 'MJ-1'))?.manufacturer, 'acme-meters');
    assert.equal((await getDeviceBySerial(fleet.ctx.db, 'MJ-3'))?.manufacturer, null);
    assert.equal(await getDeviceBySerial(fleet.ctx.db, 'M-10'), undefined);
    const refused = (await listAudit(fleet.ctx, { action: 'device.create', outcome: 'refused' }, { limit: 50 })).items.filter((e) => e.target === 'device-serial:M-10');
    assert.equal(refused.length, 2, 'refused in the dry run and in the real one');
    for (const event of refused) assert.deepEqual(event.details, { code: 'not_found', reason: direct.message, source: 'meters.csv', line: 12 });
  });

  test('the CLI: exit 1 with the refusals listed, a progress bar on stderr with --progress', async () => {
    const dir = tempDir();
    assert.equal((await cli(['init', '--data-dir', dir])).code, 0);
    const file = join(dir, 'devices.csv');
    writeFileSync(file, factoryCsv('C').text);
    const result = await cli(['--data-dir', dir, 'device', 'import', file, '--progress', '--json']);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.imported, 4996);
    assert.deepEqual(report.errors.map((e: { line: number }) => e.line), [19, 1236, 2502, 4002]);
    assert.match(result.stderr, /importing \[#{30}\] 5000\/5000 100%/);
    const again = await cli(['--data-dir', dir, 'device', 'import', file]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /registered 0 of 5000 device\(s\); 5000 refused/);
    assert.doesNotMatch(again.stderr, /importing/, 'no progress bar when stderr is not a terminal and --progress is not given');
  });
});
