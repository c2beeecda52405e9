// `fleetpki discover` as an operator runs it: scan endpoints from the command line and a
// targets file, with progress on stderr when asked, import a folder with progress, list
// findings by kind, resolve one.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fleet, tempDir } from '../cli/run.ts';
import { closeAll, closedPort, derOf, fingerprint, selfSigned, serve, type Endpoint, type Made } from './fixtures.ts';

const dir = tempDir('fleetpki-discover-');
const f = fleet(dir);
const endpoints: Endpoint[] = [];
let cert: Made;
let weak: Made;

before(async () => {
  assert.equal((await f.run('init')).code, 0);
  cert = selfSigned(dir, 'cli-self');
  weak = selfSigned(dir, 'cli-weak', ['-newkey', 'rsa:1024']);
  endpoints.push(await serve(readFileSync(cert.key, 'utf8'), cert.pem), await serve(readFileSync(weak.key, 'utf8'), weak.pem));
});
after(async () => {
  await closeAll(endpoints);
  rmSync(dir, { recursive: true, force: true });
});

describe('fleetpki discover', () => {
  test('scan: targets from arguments and --file, an unreachable one listed, exit 1', async () => {
    const targets = join(dir, 'targets.txt');
    writeFileSync(targets, `# plant 1\n${endpoints[1].location}\n\n${await closedPort()}  # switched off\n`);
    const result = await f.run('discover', 'scan', endpoints[0].location, '--file', targets, '--timeout', '2000', '--json');
    assert.equal(result.code, 1, result.stderr);
    const { run, findings } = JSON.parse(result.stdout);
    assert.equal(run.status, 'completed');
    assert.equal(run.targetsDone, 3);
    assert.equal(run.targets.filter((t: any) => t.outcome === 'error').length, 1);
    assert.match(run.targets.find((t: any) => t.outcome === 'error').error, /connection refused/);
    const weakKey = findings.find((x: any) => x.kind === 'weak-key');
    assert.equal(weakKey.certificate.fingerprintSha256, fingerprint(weak.pem));

    const human = await f.run('discover', 'scan', endpoints[0].location);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /scan \S+ completed: 1 target\(s\), 0 failed, 1 certificate\(s\) seen, 0 new finding\(s\)/);
    assert.match(human.stdout, /self-signed +medium +open/);
  });

  test('scan --progress: a line on stderr as each tenth of the targets is done, stdout keeps only the result', async () => {
    const result = await f.run('discover', 'scan', ...endpoints.map((e) => e.location), '--progress', '--json');
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0], /^scanning \[#{15}\.{15}\] 1\/2 50% \d+\/s$/);
    assert.match(lines[1], /^scanning \[#{30}\] 2\/2 100% \d+\/s$/);
    assert.equal(JSON.parse(result.stdout).run.targetsDone, 2);
    // Without the flag, and with stderr not a terminal, there is no progress at all.
    const quiet = await f.run('discover', 'scan', endpoints[0].location, '--json');
    assert.equal(quiet.stderr, '');
  });

  test('import: a folder with progress on stderr, a garbage file reported, exit 1; findings by kind', async () => {
    const folder = join(dir, 'export');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    writeFileSync(join(folder, 'nested', 'device.der'), derOf(selfSigned(dir, 'exported').pem));
    writeFileSync(join(folder, 'broken.pem'), 'garbage');
    const result = await f.run('discover', 'import', folder, '--progress', '--json');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /importing \[#+\] 2\/2 100%/);
    const { run } = JSON.parse(result.stdout);
    assert.deepEqual(run.targets.map((t: any) => [t.target.slice(folder.length + 1), t.outcome]), [['broken.pem', 'error'], ['nested/device.der', 'ok']]);

    const listed = await f.json('discover', 'findings', '--kind', 'self-signed');
    assert.equal(listed.items.length, 3);
    assert.ok(listed.items.every((x: any) => x.kind === 'self-signed'));
    const usage = await f.run('discover', 'findings', '--kind', 'bogus');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Allowed choices are unauthorised, expired/);
  });

  test('resolve: adopt into a new device from the command line, audited', async () => {
    const [finding] = (await f.json('discover', 'findings', '--kind', 'weak-key')).items;
    const adopted = await f.json('discover', 'resolve', finding.id, '--action', 'adopt', '--serial', 'CAM-7', '--class', 'camera', '--environment', 'production');
    assert.equal(adopted.resolution, 'adopt');
    const device = await f.json('device', 'show', adopted.certificate.adoptedDeviceId);
    assert.equal(device.externalSerial, 'CAM-7');
    const partial = await f.run('discover', 'resolve', finding.id, '--action', 'adopt', '--serial', 'X');
    assert.equal(partial.code, 2);
    assert.match(partial.stderr, /needs --serial, --class and --environment together/);
    const again = await f.run('discover', 'resolve', finding.id, '--action', 'dismiss', '--reason', 'dup');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already resolved/);
    const audit = await f.json('audit', 'list', '--action', 'discovery.finding.resolve');
    assert.ok(audit.items.some((e: any) => e.target === `discovery-finding:${finding.id}` && e.actor.startsWith('cli:')));
  });
});
