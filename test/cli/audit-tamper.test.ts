// `audit verify` against a database changed behind fleetpki's back: a row edited in place
// and a row deleted from the middle must each be found and named by its seq (exit 1).

import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { fleet, tempDir } from './run.ts';

const base = tempDir();
const copies: string[] = [];
after(() => [base, ...copies].forEach((d) => rmSync(d, { recursive: true, force: true })));

before(async () => {
  const f = fleet(base);
  assert.equal((await f.run('init')).code, 0);
  await f.json('device', 'create', '--serial', 'T-1', '--class', 'sensor', '--environment', 'lab');
});

/** A copy of the initialised fleet, so each case tampers with its own database. */
function copyFleet(): ReturnType<typeof fleet> {
  const dir = tempDir();
  copies.push(dir);
  cpSync(base, dir, { recursive: true });
  return fleet(dir);
}

function tamper(dataDir: string, sql: string): void {
  const db = new DatabaseSync(join(dataDir, 'fleetpki.db'));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

test('an untouched chain verifies', async () => {
  const result = await fleet(base).run('audit', 'verify');
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /^chain intact: \d+ events$/m);
});

test('an edited event is named by its seq', async () => {
  const f = copyFleet();
  tamper(f.dataDir, `UPDATE audit_events SET details = '{"why":"nothing to see"}' WHERE seq = 3`);
  const result = await f.run('audit', 'verify');
  assert.equal(result.code, 1);
  assert.match(result.stdout, /chain BROKEN/);
  assert.match(result.stdout, /^ {2}seq 3: content does not match its hash/m);
  const json = await f.run('audit', 'verify', '--json');
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((p: { seq: number }) => p.seq), [3]);
});

test('a deleted middle event is reported at the seq after the gap', async () => {
  const f = copyFleet();
  tamper(f.dataDir, 'DELETE FROM audit_events WHERE seq = 4');
  const result = await f.run('audit', 'verify');
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^ {2}seq 5: sequence jumps from 3 to 5/m);
});
