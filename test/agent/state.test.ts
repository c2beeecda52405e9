// The agent's state directory: owner-only permissions, and a renewal that a crash cannot
// leave with a key and a certificate that do not belong together.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { lockStateDir } from '../../src/agent/lock.ts';
import { StateDir } from '../../src/agent/state.ts';
import { toPem } from '../../src/x509/pem.ts';

const root = mkdtempSync(join(tmpdir(), 'agent-state-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A self-signed certificate for `key`, made by openssl. */
function selfSigned(key: KeyObject, cn: string): Buffer {
  const keyFile = join(root, `${cn}.key`);
  writeFileSync(keyFile, key.export({ format: 'pem', type: 'pkcs8' }));
  return execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-subj', `/CN=${cn}`, '-days', '1', '-outform', 'DER']);
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const mode = (path: string) => statSync(path).mode & 0o777;

describe('state directory', () => {
  test('the directory is 0700 and every file 0600, also when it existed wider', () => {
    const dir = join(root, 'perm');
    execFileSync('mkdir', ['-m', '0755', dir]);
    const state = new StateDir(dir);
    state.create();
    const key = newKey();
    state.stageKey(key);
    state.install(selfSigned(key, 'perm'), []);
    assert.equal(mode(dir), 0o700);
    for (const file of readdirSync(dir)) assert.equal(mode(join(dir, file)), 0o600, file);
    assert.deepEqual(readdirSync(dir).sort(), ['cert.pem', 'chain.pem', 'key.pem']);
  });

  test('a renewal swaps key and certificate together; the old pair stays until the new certificate arrives', () => {
    const state = new StateDir(join(root, 'swap'));
    state.create();
    const first = newKey();
    state.stageKey(first);
    const firstCert = state.install(selfSigned(first, 'first'), []);
    const second = newKey();
    state.stageKey(second);
    // The request is out; until the answer is installed the device keeps its current pair.
    assert.equal(state.current()!.info.fingerprintSha256, firstCert.info.fingerprintSha256);
    assert.equal(state.privateKey()!.export({ format: 'pem', type: 'pkcs8' }), first.export({ format: 'pem', type: 'pkcs8' }));
    const secondCert = state.install(selfSigned(second, 'second'), [selfSigned(newKey(), 'intermediate')]);
    assert.equal(secondCert.info.subject, 'CN=second');
    assert.equal(state.privateKey()!.export({ format: 'pem', type: 'pkcs8' }), second.export({ format: 'pem', type: 'pkcs8' }));
    assert.match(secondCert.chainPem, /BEGIN CERTIFICATE/);
    assert.ok(!existsSync(state.path('key.pem.next')));
  });

  test("the server's renewal points: kept per certificate, the current one's while a new one is installed, unreadable ones ignored", () => {
    const state = new StateDir(join(root, 'points'));
    state.create();
    const first = newKey();
    const firstDer = selfSigned(first, 'points-1');
    const firstAt = new Date(Date.now() + 3600_000);
    state.stageKey(first);
    state.rememberRenewAfter(new X509Certificate(firstDer).fingerprint256.replace(/:/g, '').toLowerCase(), firstAt);
    assert.equal(state.install(firstDer, []).serverRenewAfter?.toISOString(), firstAt.toISOString());
    // A renewal: the new certificate's point is stored before it moves into place.
    const second = newKey();
    const secondDer = selfSigned(second, 'points-2');
    const secondAt = new Date(Date.now() + 7200_000);
    state.stageKey(second);
    state.rememberRenewAfter(new X509Certificate(secondDer).fingerprint256.replace(/:/g, '').toLowerCase(), secondAt);
    assert.equal(state.current()!.serverRenewAfter?.toISOString(), firstAt.toISOString(), 'until the swap, the current certificate keeps its point');
    assert.equal(state.install(secondDer, []).serverRenewAfter?.toISOString(), secondAt.toISOString());
    assert.equal(mode(state.path('renew-after.json')), 0o600);
    writeFileSync(state.path('renew-after.json'), 'not json');
    assert.equal(state.current()!.serverRenewAfter, null, 'a damaged file means no server point, not a failure');
  });

  test('after a crash between the renames, the next start pairs the new certificate with its key', () => {
    const state = new StateDir(join(root, 'crash'));
    state.create();
    const old = newKey();
    state.stageKey(old);
    state.install(selfSigned(old, 'old'), []);
    const fresh = newKey();
    state.stageKey(fresh);
    // As if the process died right after writing cert.pem.next.
    writeFileSync(state.path('cert.pem.next'), toPem(selfSigned(fresh, 'fresh'), 'CERTIFICATE'), { mode: 0o600 });
    const current = new StateDir(state.dir).current()!;
    assert.equal(current.info.subject, 'CN=fresh');
    assert.equal(state.privateKey()!.export({ format: 'pem', type: 'pkcs8' }), fresh.export({ format: 'pem', type: 'pkcs8' }));
  });

  test('a stray new certificate that matches no key is dropped, the current pair kept', () => {
    const state = new StateDir(join(root, 'stray'));
    state.create();
    const key = newKey();
    state.stageKey(key);
    state.install(selfSigned(key, 'kept'), []);
    writeFileSync(state.path('cert.pem.next'), toPem(selfSigned(newKey(), 'stranger'), 'CERTIFICATE'), { mode: 0o600 });
    assert.equal(state.current()!.info.subject, 'CN=kept');
    assert.ok(!existsSync(state.path('cert.pem.next')));
  });

  test("one agent at a time: the lock names its holder, and a dead holder's lock is taken over", () => {
    const dir = join(root, 'lock');
    new StateDir(dir).create();
    const release = lockStateDir(dir);
    writeFileSync(join(dir, 'agent.lock'), `${process.ppid}\n`);
    assert.throws(() => lockStateDir(dir), new RegExp(`another fleetpki-agent \\(pid ${process.ppid}\\)`));
    // A pid no process has: the lock is stale.
    writeFileSync(join(dir, 'agent.lock'), '2147483646\n');
    const again = lockStateDir(dir);
    assert.equal(readFileSync(join(dir, 'agent.lock'), 'utf8').trim(), String(process.pid));
    again();
    release();
    assert.ok(!existsSync(join(dir, 'agent.lock')));
  });
});
