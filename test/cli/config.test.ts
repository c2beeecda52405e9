// `config check`: every problem of a bad file listed with exit 2; a good one printed with
// no secrets (the passphrase only by its source, a database password masked).

import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, tempDir } from './run.ts';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('a file with wrong types and an unknown key: each problem listed, exit 2', async () => {
  // (keys.scryptLog2N is set by the test environment, which overrides the file, so it is not used here.)
  const bad = file('bad.yaml', ['listen:', '  port: "not a port"', 'logLevel: loud', 'bodyLimitBytes: 10', 'colour: blue', ''].join('\n'));
  const result = await cli(['config', 'check', '--config', bad]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  for (const problem of [/listen\.port: must be integer/, /logLevel: must be equal to one of the allowed values/, /bodyLimitBytes: must be >= 1024/, /additional properties: colour/]) {
    assert.match(result.stderr, problem);
  }
  const json = await cli(['config', 'check', '--config', bad, '--json']);
  assert.equal(json.code, 2);
  const { error } = JSON.parse(json.stderr);
  assert.equal(error.code, 'invalid_config');
  assert.equal(error.problems.length, 4);
});

test('YAML that does not parse, a missing file and a bad --listen flag are configuration errors too', async () => {
  const broken = file('broken.yaml', 'listen: [\n');
  const cases: Array<[string[], RegExp]> = [
    [['config', 'check', '--config', broken], /cannot parse/],
    [['config', 'check', '--config', join(dir, 'absent.yaml')], /file not found/],
    [['--listen', 'nowhere', 'config', 'check'], /listen "nowhere" must be host:port/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((result, i) => {
    assert.equal(result.code, 2, cases[i][0].join(' '));
    assert.match(result.stderr, cases[i][1]);
  });
});

test('a good file prints the effective config without secrets', async () => {
  const good = file('good.json', JSON.stringify({ dataDir: join(dir, 'data'), listen: { port: 9443 }, logLevel: 'warn' }));
  const env = { FLEETPKI_KEY_PASSPHRASE: 'correct horse battery staple', FLEETPKI_PUBLIC_URL: 'https://pki.example.com' };
  const result = await cli(['config', 'check', '--config', good, '--db', 'postgres://fleet:hunter2@db.example/fleet', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.config.listen.port, 9443);
  assert.equal(report.config.publicUrl, 'https://pki.example.com');
  assert.equal(report.config.db, 'postgres://fleet:***@db.example/fleet');
  assert.equal(report.passphraseSource, 'environment variable FLEETPKI_KEY_PASSPHRASE');
  assert.ok(!result.stdout.includes('hunter2') && !result.stdout.includes('correct horse'));
});

test('a bad database URL is a configuration error; a data directory that was never initialised is not created', async () => {
  const empty = join(dir, 'never-initialised');
  const [badDb, uninitialised] = await Promise.all([
    cli(['--db', 'mysql://db.example/fleet', 'device', 'list']),
    cli(['--data-dir', empty, 'device', 'list']),
  ]);
  assert.equal(badDb.code, 2);
  assert.match(badDb.stderr, /db: unsupported database URL scheme "mysql:"/);
  assert.equal(uninitialised.code, 1);
  assert.match(uninitialised.stderr, /no fleetpki database at .*never-initialised.*run `fleetpki init` first/);
  assert.ok(!existsSync(empty));
});
