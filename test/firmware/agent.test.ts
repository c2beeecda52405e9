// `fleetpki-agent verify-firmware`: the device agent's check before installing an update,
// through the agent's own command line.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run } from '../../src/agent/cli.ts';
import type { FirmwareFiles } from '../../src/firmware/file-names.ts';
import { openFirmwareFleet, type FirmwareFleet } from './fixture.ts';

let f: FirmwareFleet;
let image: string;
let files: FirmwareFiles;
let crl: string;

before(async () => {
  f = await openFirmwareFleet();
  image = f.image('agent-update.bin');
  files = await f.sign(await f.newSigner(), image, { version: '2.1.0' });
  crl = await f.crl();
});
after(() => f.close());

async function agent(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['verify-firmware', ...args], { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

const base = () => ['--image', image, '--ca-bundle', f.bundleFile, '--crl', crl, '--device-class', 'sensor'];

test('exit 0 and the verified version for an update that fits the device', async () => {
  const result = await agent(...base(), '--installed-version', '2.0.3');
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /^verified: agent-update\.bin version 2\.1\.0, sha256 [0-9a-f]{64}, signed by O=fleetpki, OU=release signing/);
  const json = JSON.parse((await agent(...base(), '--installed-version', '2.0.3', '--offline', '--json')).out);
  assert.equal(json.verified, true);
  assert.equal(json.revocation.source, 'crl');
  assert.equal(files.signature, `${image}.sig`);
});

test('exit 1 with the failed check for a rollback or another device class', async () => {
  const rollback = await agent(...base(), '--installed-version', '3.0.0');
  assert.equal(rollback.code, 1);
  assert.match(rollback.err, /firmware refused \(rollback\): version 2\.1\.0 is older than the installed 3\.0\.0/);
  const json = JSON.parse((await agent('--image', image, '--ca-bundle', f.bundleFile, '--crl', crl, '--device-class', 'gateway', '--installed-version', '1.0.0', '--json')).out);
  assert.deepEqual([json.verified, json.error.check], [false, 'device-class']);
});

test('exit 2 for a bad command line, and help on request', async () => {
  assert.equal((await agent('--image', image)).code, 2);
  assert.equal((await agent('--bogus')).code, 2);
  const help = await agent('--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: fleetpki-agent verify-firmware/);
});
