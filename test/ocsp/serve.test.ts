// The responder in the real service: `fleetpki serve` announces its OCSP URL, answers openssl,
// sees a revocation made with the CLI in another process within its poll interval (the
// refresher), and still exits 0 on SIGTERM (the refresher stops with it).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, cliEnv, MAIN, NODE, ROOT, tempDir } from '../cli/run.ts';
import { opensslCsr } from '../helpers/context.ts';
import { openssl } from './helpers.ts';

const dir = tempDir('fleetpki-ocsp-serve-');
after(() => rmSync(dir, { recursive: true, force: true }));

function bannerLine(stderr: { text: string }, pattern: RegExp, exited: Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const match = pattern.exec(stderr.text);
      if (match || Date.now() - started > 20_000) {
        clearInterval(poll);
        if (match) resolve(match[1]);
        else reject(new Error(`no ${pattern} within 20 s:\n${stderr.text}`));
      }
    }, 50);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`serve exited:\n${stderr.text}`));
    });
  });
}

async function fetchPem(url: string, file: string): Promise<string> {
  writeFileSync(file, await (await fetch(url)).text());
  return file;
}

test('serve answers OCSP, sees a CLI revocation within its poll interval, and exits 0 on SIGTERM', async () => {
  const config = join(dir, 'fleetpki.json');
  writeFileSync(config, JSON.stringify({ ocsp: { revocationPollSeconds: 1 }, est: { enabled: false } }));
  const args = ['--data-dir', dir, '--config', config];
  const child = spawn(NODE, [MAIN, 'serve', ...args, '--listen', '127.0.0.1:0'], { cwd: ROOT, env: cliEnv() });
  const stderr = { text: '' };
  child.stderr.on('data', (chunk) => (stderr.text += chunk));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const ocspUrl = await bannerLine(stderr, /OCSP:\s+(http:\/\/\S+)/, exited);
    const base = ocspUrl.replace(/\/ocsp$/, '');
    const issuer = await fetchPem(`${base}/ca/devices-production.pem`, join(dir, 'issuer.pem'));
    writeFileSync(join(dir, 'bundle.pem'), (await (await fetch(`${base}/ca/fleet-root.pem`)).text()) + (await (await fetch(`${base}/ca/devices-production.pem`)).text()));

    const device = JSON.parse((await cli(['device', 'create', ...args, '--serial', 'OCSP-SERVE-1', '--class', 'sensor', '--environment', 'production', '--json'])).stdout);
    const csrFile = join(dir, 'device.csr');
    writeFileSync(csrFile, opensslCsr(dir).pem);
    const certFile = join(dir, 'device.pem');
    const issued = await cli(['cert', 'issue', ...args, '--csr', csrFile, '--profile', 'sensor', '--device', device.id, '--out', certFile, '--json']);
    assert.equal(issued.code, 0, issued.stderr);
    const query = () => openssl(['ocsp', '-issuer', issuer, '-cert', certFile, '-url', ocspUrl, '-CAfile', join(dir, 'bundle.pem'), '-no_nonce']);

    const good = await query();
    assert.match(good.stdout, /: good/, good.text);
    assert.match(good.text, /Response verify OK/);

    const revoked = await cli(['cert', 'revoke', ...args, JSON.parse(issued.stdout).id, '--reason', 'keyCompromise']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const start = Date.now();
    let answer = await query();
    while (!/: revoked/.test(answer.stdout) && Date.now() - start < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      answer = await query();
    }
    assert.match(answer.stdout, /: revoked/, `still ${answer.stdout} after ${Date.now() - start} ms`);
    assert.match(answer.stdout, /Reason: keyCompromise/);
    assert.ok(Date.now() - start < 4000, `seen after ${Date.now() - start} ms with a 1 s poll`);
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});
