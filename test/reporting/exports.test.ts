// Inventory exports as a user opens them: CSV that a CSV parser reads back to the inventory's
// values (commas, quotes and newlines in them), JSON that parses to the same rows, the CLI
// writing a file, and a 50,000-row export over HTTP that is streamed: a certificate recorded
// after the first bytes arrived is still in it, so the export was read a batch at a time
// after the response had started, not built first.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { generateFleet } from '../../bench/generate-fleet.ts';
import { startServer } from '../../src/api/server.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { newId } from '../../src/ids.ts';
import { exportChunks } from '../../src/reporting/export-format.ts';
import { cli } from '../cli/run.ts';
import { testCa } from '../discovery/fixtures.ts';
import { certificateRow } from '../store/fixtures.ts';
import { openReportingFleet, type ReportingFleet } from './fleet.ts';

const now = new Date();
let fleet: ReportingFleet;
let awkwardDevice: string;
let plainDevice: string;
let issuedId: string;

const OWNER = 'Ops, "night" shift\nBuilding 7';

async function collect(chunks: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

before(async () => {
  fleet = await openReportingFleet(now, { listen: '127.0.0.1:0' });
  await addManufacturer(fleet.ctx, 'acme-sensors', testCa(fleet.dir, '/O=Acme/CN=Acme Sensor CA').pem, 'test');
  const device = await fleet.device({ owner: OWNER, site: 'hall "B", row 3', metadata: { rack: 'a,b', note: 'line1\nline2' }, manufacturer: 'acme-sensors' });
  awkwardDevice = device.id;
  plainDevice = (await fleet.device()).id;
  issuedId = (await fleet.issue(device.id, 'gateway')).id;
  await fleet.insert(device.id, 10, { subject: 'CN=with "quotes", and commas', sans: JSON.stringify(['dns:a.example', 'uri:urn:x:y']) });
});
after(() => fleet?.close());

test('the CSV export parses back to the inventory, quotes, commas and newlines included', async () => {
  const records = parse(await collect(exportChunks(fleet.ctx.db, 'certificates', 'csv')), { columns: true }) as Record<string, string>[];
  assert.equal(records.length, 2);
  const issued = records.find((r) => r.id === issuedId)!;
  const row = await fleet.ctx.db.selectFrom('certificates').selectAll().where('id', '=', issuedId).executeTakeFirstOrThrow();
  assert.equal(issued.serial, row.serial_hex);
  assert.equal(issued.subject, row.subject);
  assert.equal(issued.issuer, 'devices-production');
  assert.equal(issued.notAfter, row.not_after);
  assert.equal(issued.owner, OWNER);
  assert.equal(issued.deviceId, awkwardDevice);
  assert.equal(issued.revokedAt, '');
  const inserted = records.find((r) => r.id !== issuedId)!;
  assert.equal(inserted.subject, 'CN=with "quotes", and commas');
  assert.equal(inserted.sans, 'dns:a.example uri:urn:x:y');

  const devices = parse(await collect(exportChunks(fleet.ctx.db, 'devices', 'csv')), { columns: true }) as Record<string, string>[];
  assert.deepEqual(devices.map((d) => d.id), [awkwardDevice, plainDevice]);
  assert.equal(devices[0].site, 'hall "B", row 3');
  assert.deepEqual(JSON.parse(devices[0].metadata), { rack: 'a,b', note: 'line1\nline2' });
  assert.equal(devices[0].manufacturer, 'acme-sensors');
  assert.equal(devices[1].manufacturer, '', 'a device bound to no manufacturer has an empty cell');
});

test('the JSON export is one array with the same rows', async () => {
  const certificates = JSON.parse(await collect(exportChunks(fleet.ctx.db, 'certificates', 'json', 1)));
  assert.equal(certificates.length, 2);
  assert.deepEqual(certificates.find((c: { id: string }) => c.id !== issuedId).sans, ['dns:a.example', 'uri:urn:x:y']);
  const devices = JSON.parse(await collect(exportChunks(fleet.ctx.db, 'devices', 'json')));
  assert.equal(devices[0].owner, OWNER);
  assert.deepEqual(devices[0].metadata, { rack: 'a,b', note: 'line1\nline2' });
  assert.deepEqual(devices.map((d: { manufacturer: string | null }) => d.manufacturer), ['acme-sensors', null]);
});

test('fleetpki export certificates --format csv writes the file; json to stdout', async () => {
  const file = join(fleet.dir, 'certificates.csv');
  const written = await cli(['--data-dir', fleet.dir, 'export', 'certificates', '--format', 'csv', '--out', file]);
  assert.equal(written.code, 0, written.stderr);
  const records = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
  const ids = (await fleet.ctx.db.selectFrom('certificates').select('id').orderBy('id').execute()).map((r) => r.id);
  assert.deepEqual(records.map((r) => r.id), ids);
  const stdout = await cli(['--data-dir', fleet.dir, 'export', 'devices', '--format', 'json']);
  assert.equal(stdout.code, 0, stdout.stderr);
  assert.equal(JSON.parse(stdout.stdout)[0].owner, OWNER);
});

test('50,000 certificates over HTTP: the response streams while the ledger is still being read', async () => {
  await generateFleet(fleet.ctx.db, { devices: 15_000, certificates: 50_000, issuerIds: [fleet.issuerId], now });
  const server = await startServer(fleet.ctx);
  try {
    const response = await fetch(`${server.url}/api/v1/exports/certificates.csv`, { headers: { authorization: `Bearer ${fleet.adminToken}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(response.headers.get('content-disposition') ?? '', /certificates\.csv/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? '';
    // Recorded now, so its UUIDv7 id sorts after every generated one: the last batch will hold it.
    const late = certificateRow(fleet.issuerId, { id: newId(), device_id: null, profile: 'gateway' });
    await fleet.ctx.db.insertInto('certificates').values(late).execute();
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += part.value;
    const records = parse(text, { columns: true }) as Record<string, string>[];
    assert.equal(records.length, 2 + 50_000 + 1);
    assert.equal(records[records.length - 1].id, late.id);
  } finally {
    await server.close();
  }
});
