// Checkpoints in a worker thread (src/store/sqlite-checkpointer.ts): committed pages reach
// the database file without the writer's own automatic checkpoint, nothing is lost, and a
// close still leaves no WAL behind.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteDatabase } from '../../src/store/sqlite-dialect.ts';

const ROWS_PER_COMMIT = 100;
const COMMITS = 8;

/** About 800 KiB a commit's worth of log frames: under SQLite's own 1000-frame threshold in total. */
function fill(path: string, checkpointerAfterCommits: number | null) {
  const db = openSqliteDatabase(path, { checkpointerAfterCommits });
  db.prepare('create table t (id integer primary key, body blob not null)').run([]);
  const insert = db.prepare('insert into t (body) values (?)');
  for (let c = 0; c < COMMITS; c++) {
    db.prepare('begin').run([]);
    for (let i = 0; i < ROWS_PER_COMMIT; i++) insert.run([Buffer.alloc(1000, c)]);
    db.prepare('commit').run([]);
  }
  return db;
}

async function fileGrows(path: string, beyond: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  while (statSync(path).size <= beyond && Date.now() < deadline) await sleep(20);
  return statSync(path).size;
}

describe('SQLite checkpoints off the writing thread', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpki-checkpoint-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without the worker, the pages stay in the WAL until SQLite reaches its own threshold', async () => {
    const path = join(dir, 'plain.db');
    const db = fill(path, null);
    await sleep(200);
    assert.ok(statSync(path).size < 100_000, `database file ${statSync(path).size} bytes: nothing was checkpointed`);
    db.close();
  });

  it('with the worker, committed pages reach the database file; close removes the WAL; every row is there', async () => {
    const path = join(dir, 'worker.db');
    const db = fill(path, 1);
    const size = await fileGrows(path, 100_000, 5000);
    assert.ok(size > COMMITS * ROWS_PER_COMMIT * 900, `database file ${size} bytes after the worker's checkpoints`);
    db.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
    const again = openSqliteDatabase(path, { checkpointerAfterCommits: null });
    assert.deepEqual(again.prepare('select count(*) as n from t').all([]), [{ n: COMMITS * ROWS_PER_COMMIT }]);
    again.close();
  });
});
