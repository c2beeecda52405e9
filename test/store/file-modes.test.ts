// The SQLite file holds sealed CA keys, token hashes and the audit log: a first start must
// leave it, and the data directory the store creates before init runs, to the service's user.
// The umask is set to the usual 022, under which SQLite and mkdir alone give 0644 and 0755.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { closeContext, openContext } from '../../src/app/context.ts';
import { initialize } from '../../src/app/init.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openStore } from '../../src/store/open.ts';

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (n: number) => `0${n.toString(8)}`;

describe('file modes of a new data directory', () => {
  let root: string;
  let umask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetpki-modes-'));
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('first start: data directory 0700; database, its WAL, admin token and passphrase 0600', async () => {
    const dataDir = join(root, 'first-start', 'data');
    const config = loadConfig({ dataDir }, { FLEETPKI_SCRYPT_LOG2N: '12' });
    const ctx = await openContext(config, { log: pino({ level: 'silent' }), env: {} });
    try {
      await initialize(ctx);
      const files = ['fleetpki.db', 'fleetpki.db-wal', 'fleetpki.db-shm', 'admin-token', 'ca-key-passphrase'].filter((f) => existsSync(join(dataDir, f)));
      assert.ok(files.includes('fleetpki.db-wal'), 'the database is in WAL mode, so its -wal file is checked too');
      assert.deepEqual(
        Object.fromEntries([['.', octal(mode(dataDir))], ...files.map((f) => [f, octal(mode(join(dataDir, f)))])]),
        Object.fromEntries([['.', '0700'], ...files.map((f) => [f, '0600'])]),
      );
    } finally {
      await closeContext(ctx);
    }
  });

  it('openStore alone, on a path whose directories do not exist: every directory it makes is 0700', async () => {
    const file = join(root, 'store-only', 'nested', 'fleet.db');
    const store = await openStore(`sqlite:${file}`);
    await store.close();
    assert.deepEqual([mode(join(root, 'store-only')), mode(join(root, 'store-only', 'nested')), mode(file)].map(octal), ['0700', '0700', '0600']);
  });

  it('an existing directory and database keep the modes their owner gave them', async () => {
    const dir = join(root, 'operator-made');
    mkdirSync(dir, { mode: 0o750 });
    chmodSync(dir, 0o750);
    const file = join(dir, 'fleetpki.db');
    writeFileSync(file, '');
    chmodSync(file, 0o640);
    const store = await openStore(`sqlite:${file}`);
    await store.close();
    assert.deepEqual([mode(dir), mode(file)].map(octal), ['0750', '0640']);
  });
});
