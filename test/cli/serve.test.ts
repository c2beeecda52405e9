// `serve` as a real process: initialises on first start, prints the URL it listens on (port 0
// picks a free one), answers /healthz, and exits 0 after SIGTERM.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, MAIN, NODE, ROOT, tempDir } from './run.ts';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves with the base URL once the banner is on stderr; rejects if the process ends first. */
function listeningUrl(child: ChildProcessWithoutNullStreams, stderr: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 20 s:\n${stderr.text}`)), 20_000);
    child.stderr.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr.text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening:\n${stderr.text}`)));
  });
}

test('serve initialises, answers /healthz and exits 0 on SIGTERM', async () => {
  const child = spawn(NODE, [MAIN, 'serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--est-listen', '127.0.0.1:0'], { cwd: ROOT, env: cliEnv() });
  const stderr = { text: '' };
  child.stderr.on('data', (chunk) => (stderr.text += chunk));
  child.stdout.resume(); // the JSON log; not asserted on, but it must not fill the pipe
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const url = await listeningUrl(child, stderr);
    assert.match(stderr.text, /created CAs:\s+fleet-root/, 'first start initialises like `init`');
    assert.ok(stderr.text.includes(`${url}/api/v1/openapi.json`));
    assert.ok(existsSync(join(dir, 'admin-token')));
    assert.match(stderr.text, /EST:\s+https:\/\/127\.0\.0\.1:\d+\/\.well-known\/est/, 'the EST listener is announced');
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
  assert.match(stderr.text, /stopped \(SIGTERM\)/);
});
