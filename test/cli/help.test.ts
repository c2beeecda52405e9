// Help for every command group, and command-line mistakes as exit status 2.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './run.ts';

const GROUPS: Record<string, string[]> = {
  init: [],
  serve: [],
  config: ['check'],
  ca: ['list', 'show', 'chain', 'create', 'import-root'],
  profile: ['list', 'show', 'set', 'delete'],
  device: ['create', 'list', 'show', 'update', 'suspend', 'reactivate', 'decommission'],
  cert: ['issue', 'show', 'list', 'revoke'],
  token: ['create', 'list', 'revoke'],
  audit: ['verify', 'list'],
};

test('--help works for the program and every group, listing its subcommands', async () => {
  const names = Object.keys(GROUPS);
  const [main, ...groups] = await Promise.all([cli(['--help']), ...names.map((g) => cli([g, '--help']))]);
  assert.equal(main.code, 0);
  for (const name of names) assert.match(main.stdout, new RegExp(`^  ${name}\\b`, 'm'));
  assert.match(main.stdout, /Examples:/);
  groups.forEach((result, i) => {
    const name = names[i];
    assert.equal(result.code, 0, name);
    assert.match(result.stdout, new RegExp(`^Usage: fleetpki ${name}`));
    for (const sub of GROUPS[name]) assert.match(result.stdout, new RegExp(`^  ${sub}\\b`, 'm'), `${name} ${sub}`);
  });
});

test('the main subcommands have help with examples', async () => {
  const commands = [['cert', 'issue'], ['device', 'create'], ['device', 'list'], ['cert', 'list'], ['token', 'create'], ['audit', 'verify']];
  const results = await Promise.all(commands.map((c) => cli([...c, '--help'])));
  results.forEach((result, i) => {
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Examples?:\n {2}\$ fleetpki /, commands[i].join(' '));
  });
});

test('usage mistakes exit 2 with commander\'s message', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['device'], /Usage: fleetpki device/],
    [['device', 'create', '--serial', 'x'], /required option '--class <class>' not specified/],
    [['cert', 'revoke', 'x', '--reason', 'bored'], /Allowed choices are unspecified, keyCompromise/],
    [['device', 'list', '--limit', '0'], /expected a positive integer/],
    [['cert', 'list', '--expiring-before', 'tomorrow'], /ISO 8601/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((result, i) => {
    assert.equal(result.code, 2, cases[i][0].join(' '));
    assert.match(result.stderr, cases[i][1]);
  });
});
