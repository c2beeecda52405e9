// `fleetpki serve` starts with a revoked IDevID (notAfter 9999-12-31) in the store and no CRL
// signed since: the sweep at start signs the manufacturer CA's full CRL and the server comes
// up. Before months were compared as numbers, that sweep never ended, so every restart ran
// out of memory. The server runs as its own process, killed if it is not up in time.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeContext } from '../../src/app/context.ts';
import { decommissionDevice } from '../../src/app/devices.ts';
import { getCrlMeta } from '../../src/revocation/crl-rows.ts';
import { FULL_CRL } from '../../src/revocation/partition.ts';
import { parseCrl } from '../../src/x509/crl.ts';
import { cliEnv, MAIN, NODE, ROOT } from '../cli/run.ts';
import { openTestFleet } from '../helpers/context.ts';
import { issueIdevidDevice, makeManufacturerCa } from './harness.ts';

const UP_WITHIN_MS = 30_000;
let dir: string | undefined;
after(() => dir && rmSync(dir, { recursive: true, force: true }));

test('serve comes up with a revoked IDevID in the store, and serves the manufacturer CA’s CRL listing it', async () => {
  // Set up in this process without the CRL scheduler: the revocation is stored, no CRL is signed.
  const fleet = await openTestFleet();
  dir = fleet.dir;
  await makeManufacturerCa(fleet);
  const idevid = await issueIdevidDevice(fleet);
  const { revoked } = await decommissionDevice(fleet.ctx, idevid.deviceId, 'retired', 'test');
  assert.deepEqual(revoked, [idevid.row.id]);
  const ca = await fleet.ctx.cas.byName('acme-factory');
  assert.equal(await getCrlMeta(fleet.ctx.db, ca.row.id, FULL_CRL), undefined, 'no CRL signed yet');
  await closeContext(fleet.ctx);

  const config = join(dir, 'fleetpki.json');
  writeFileSync(config, JSON.stringify({ est: { enabled: false } }));
  const child = spawn(NODE, [MAIN, 'serve', '--data-dir', dir, '--config', config, '--listen', '127.0.0.1:0'], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const started = Date.now();
    let base: string | undefined;
    while (!base && Date.now() - started < UP_WITHIN_MS && child.exitCode === null) {
      base = /CRLs:\s+(http:\/\/\S+)\/crl\//.exec(output)?.[1];
      if (!base) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(base, `serve not up within ${UP_WITHIN_MS} ms:\n${output}`);
    assert.doesNotMatch(output, /CRL regeneration at start failed/);

    const response = await fetch(`${base}/crl/acme-factory.crl`);
    assert.equal(response.status, 200);
    const crl = parseCrl(new Uint8Array(await response.arrayBuffer()));
    assert.deepEqual(crl.entries.map((e) => [e.serialHex, e.reason]), [[idevid.row.serial_hex, 'cessationOfOperation']]);
  } finally {
    child.kill('SIGTERM');
  }
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  assert.deepEqual(await exited, { code: 0, signal: null });
  clearTimeout(timeout);
});
