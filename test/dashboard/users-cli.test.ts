// `fleetpki user create|list|disable`: people's accounts from the CA host's console; the
// password never on the command line, and a disabled account cannot sign in.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliEnv, fleet, MAIN, NODE, ROOT, tempDir, type Result } from '../cli/run.ts';

/** The CLI with `input` on its stdin (the shared helper closes stdin). */
function withStdin(args: string[], input: string): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, [MAIN, ...args], { cwd: ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('fleetpki user', () => {
  const dir = tempDir();
  const f = fleet(dir);
  before(async () => {
    assert.equal((await f.run('init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates users from a password file or stdin, and lists them without hashes', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'first long password\n');
    const created = await f.json('user', 'create', '--username', 'alice', '--role', 'operator', '--password-file', file);
    assert.equal(created.username, 'alice');
    assert.equal(created.role, 'operator');
    assert.equal(created.status, 'active');
    assert.equal(created.password_hash, undefined);

    const piped = await withStdin(['--data-dir', dir, 'user', 'create', '--username', 'audra', '--role', 'auditor', '--password-stdin'], 'second long password\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /created auditor user audra/);

    const listed = await f.run('user', 'list');
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /USERNAME\s+ROLE\s+STATUS/);
    assert.match(listed.stdout, /alice\s+operator\s+active/);
    assert.match(listed.stdout, /audra\s+auditor\s+active/);
    assert.ok(!/scrypt|password/.test(listed.stdout + JSON.stringify(await f.json('user', 'list'))));
  });

  it('refuses a password on the command line, a short password, a bad name and a duplicate', async () => {
    const none = await f.run('user', 'create', '--username', 'bob', '--role', 'admin');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--password-stdin or --password-file/);
    const short = await withStdin(['--data-dir', dir, 'user', 'create', '--username', 'bob', '--role', 'admin', '--password-stdin'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12 characters/);
    const badName = await withStdin(['--data-dir', dir, 'user', 'create', '--username', 'Bob Smith', '--role', 'admin', '--password-stdin'], 'long enough password');
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /lower-case/);
    const twice = await withStdin(['--data-dir', dir, 'user', 'create', '--username', 'alice', '--role', 'admin', '--password-stdin'], 'long enough password');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already exists/);
  });

  it('disables a user once; the audit log records who did it', async () => {
    const disabled = await f.run('user', 'disable', 'alice');
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /disabled user alice; 0 session\(s\) ended/);
    assert.match((await f.run('user', 'list')).stdout, /alice\s+operator\s+disabled/);
    assert.equal((await f.run('user', 'disable', 'alice')).code, 1);
    assert.equal((await f.run('user', 'disable', 'nobody')).code, 1);
    const events = await f.json('audit', 'list', '--action', 'user.disable');
    assert.ok(events.items.some((e: { outcome: string; actor: string }) => e.outcome === 'success' && e.actor.startsWith('cli:')));
  });
});
