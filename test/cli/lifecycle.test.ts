// The CLI end to end on one data directory: init, inventory, issuance checked by
// `openssl verify`, revocation, decommissioning, tokens, profiles, CAs, and the audit chain.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { opensslCsr } from '../helpers/context.ts';
import { fleet, tempDir } from './run.ts';

const dir = tempDir();
const f = fleet(dir);
after(() => rmSync(dir, { recursive: true, force: true }));

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
}

/** `openssl verify` of a leaf against a chain as `ca chain` prints it (issuing CA first, root last). */
function opensslVerify(leafFile: string, chainPem: string): string {
  const blocks = pemBlocks(chainPem);
  const root = join(dir, 'root.pem');
  const untrusted = join(dir, 'untrusted.pem');
  writeFileSync(root, blocks.at(-1)!);
  writeFileSync(untrusted, blocks.slice(0, -1).join(''));
  return execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', untrusted, leafFile], { encoding: 'utf8' });
}

describe('fleetpki init', () => {
  test('creates the hierarchy, profiles and admin token once, and names files without printing secrets', async () => {
    const first = await f.run('init');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created CAs:\s+fleet-root, devices-production/);
    assert.match(first.stdout, /created profiles:\s+sensor/);
    assert.ok(first.stdout.includes(join(dir, 'admin-token')));
    assert.ok(first.stdout.includes(join(dir, 'ca-key-passphrase')));
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    const passphrase = readFileSync(join(dir, 'ca-key-passphrase'), 'utf8').trim();
    for (const secret of [token, passphrase]) assert.ok(!(first.stdout + first.stderr).includes(secret), 'a secret was printed');

    const second = await f.json('init');
    assert.deepEqual([second.createdCas, second.createdProfiles, second.adminTokenFile], [[], [], null]);
    assert.equal(second.passphrase.where, join(dir, 'ca-key-passphrase'));
    const human = await f.run('init');
    assert.match(human.stdout, /already initialised: nothing to create/);
  });
});

describe('devices and certificates', () => {
  let deviceId: string;
  let certId: string;
  let secondCertId: string;

  before(async () => {
    deviceId = (await f.json('device', 'create', '--serial', 'SN-0001', '--class', 'sensor', '--environment', 'production', '--site', 'plant-1', '--meta', 'fw=1.2')).id;
  });

  test('device create, list and show agree (--json)', async () => {
    const list = await f.json('device', 'list', '--environment', 'production');
    const shown = await f.json('device', 'show', deviceId);
    assert.equal(list.items.length, 1);
    assert.deepEqual(list.items[0], shown);
    assert.equal(list.nextCursor, null);
    assert.equal(shown.externalSerial, 'SN-0001');
    assert.equal(shown.status, 'registered');
    assert.deepEqual(shown.metadata, { fw: '1.2' });
    assert.equal((await f.json('device', 'list', '--environment', 'lab')).items.length, 0);
    const table = await f.run('device', 'list', '--q', 'sn-00');
    assert.match(table.stdout, /^ID\s+SERIAL\s+CLASS/);
    assert.match(table.stdout, /SN-0001\s+sensor\s+production\s+registered\s+plant-1/);
  });

  test('device update merges metadata and rejects an empty update with status 2', async () => {
    const updated = await f.json('device', 'update', deviceId, '--owner', 'ops', '--meta', 'fw=', '--meta', 'hw=2');
    assert.equal(updated.owner, 'ops');
    assert.deepEqual(updated.metadata, { hw: '2' });
    const empty = await f.run('device', 'update', deviceId);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /nothing to update/);
  });

  test('cert issue from an openssl CSR passes openssl verify against `ca chain`', async () => {
    const csr = join(dir, 'device.csr');
    writeFileSync(csr, opensslCsr(dir, 'ec-p256').pem);
    const out = join(dir, 'device.pem');
    const issued = await f.run('cert', 'issue', '--csr', csr, '--profile', 'sensor', '--device', deviceId, '--out', out);
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(issued.stdout, '', 'with --out the PEM goes to the file only');
    certId = /issued certificate (\S+)/.exec(issued.stderr)![1];
    const chain = await f.run('ca', 'chain', 'devices-production');
    assert.equal(pemBlocks(chain.stdout).length, 2);
    assert.match(opensslVerify(out, chain.stdout), /: OK/);
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', out], { encoding: 'utf8' });
    assert.ok(subject.includes(deviceId));
  });

  test('cert issue --chain to stdout prints the leaf then the issuing CA, not the root', async () => {
    const csr = join(dir, 'device2.csr');
    writeFileSync(csr, opensslCsr(dir, 'ed25519').pem);
    const issued = await f.run('cert', 'issue', '--csr', csr, '--profile', 'sensor', '--device', deviceId, '--chain');
    assert.equal(issued.code, 0, issued.stderr);
    const blocks = pemBlocks(issued.stdout);
    assert.equal(blocks.length, 2);
    const ca = await f.json('ca', 'show', 'devices-production');
    assert.equal(blocks[1], ca.certificatePem);
    secondCertId = /issued certificate (\S+)/.exec(issued.stderr)![1];
  });

  test('cert show and cert list find the issued certificate', async () => {
    const shown = await f.json('cert', 'show', certId);
    assert.equal(shown.deviceId, deviceId);
    assert.equal(shown.issuer, 'devices-production');
    assert.equal(shown.status, 'valid');
    const pem = await f.run('cert', 'show', certId, '--pem');
    assert.equal(pem.stdout, shown.pem);
    const list = await f.json('cert', 'list', '--device', deviceId, '--issuer', 'devices-production', '--expiring-before', '31d');
    assert.deepEqual(list.items.map((c: { id: string }) => c.id).sort(), [certId, secondCertId].sort());
    assert.equal((await f.json('cert', 'list', '--expiring-before', '29d')).items.length, 0);
  });

  test('cert revoke records the reason; revoking again is a conflict (exit 1, JSON error on stderr)', async () => {
    const revoked = await f.json('cert', 'revoke', certId, '--reason', 'keyCompromise');
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revocationReason, 'keyCompromise');
    const again = await f.run('cert', 'revoke', certId, '--json');
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.equal(JSON.parse(again.stderr).error.code, 'conflict');
    const human = await f.run('cert', 'revoke', certId);
    assert.match(human.stderr, /^fleetpki: certificate \S+ is already revoked/);
  });

  test('bad CSR files are refused with a clear message and exit 1', async () => {
    const garbage = join(dir, 'garbage.csr');
    writeFileSync(garbage, 'this is not a CSR\n');
    const tampered = join(dir, 'tampered.csr');
    const der = Buffer.from(opensslCsr(dir).pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
    der[der.length - 5] ^= 0xff; // inside the signature
    writeFileSync(tampered, der);
    const cases: Array<[string, RegExp]> = [
      [garbage, /CSR is neither PEM nor DER/],
      [tampered, /signature/i],
      [join(dir, 'missing.csr'), /cannot read .*missing\.csr: no such file/],
    ];
    for (const [file, message] of cases) {
      const result = await f.run('cert', 'issue', '--csr', file, '--profile', 'sensor', '--device', deviceId);
      assert.equal(result.code, 1, `${file}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
  });

  test('device decommission revokes what the device still holds; no further issuance', async () => {
    const result = await f.json('device', 'decommission', deviceId, '--reason', 'retired');
    assert.equal(result.device.status, 'decommissioned');
    assert.deepEqual(result.revoked, [secondCertId]);
    const second = await f.json('cert', 'show', secondCertId);
    assert.equal(second.revocationReason, 'cessationOfOperation');
    const csr = join(dir, 'late.csr');
    writeFileSync(csr, opensslCsr(dir).pem);
    const late = await f.run('cert', 'issue', '--csr', csr, '--profile', 'sensor', '--device', deviceId);
    assert.equal(late.code, 1);
  });
});

describe('tokens, profiles and CAs', () => {
  test('token create prints the secret once; list and revoke never show it', async () => {
    const created = await f.run('token', 'create', '--name', 'ci', '--role', 'operator', '--expires-at', '90d');
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^fpk_[A-Za-z0-9_-]{43}$/);
    const id = /token (\S+) \(ci\)/.exec(created.stderr)![1];
    const list = await f.run('token', 'list', '--json');
    assert.ok(!list.stdout.includes(token) && !list.stdout.includes('token_hash'));
    const listed = JSON.parse(list.stdout).find((t: { id: string }) => t.id === id);
    assert.equal(listed.role, 'operator');
    const revoked = await f.json('token', 'revoke', id);
    assert.ok(revoked.revoked_at);
    assert.equal((await f.run('token', 'revoke', id)).code, 1);
  });

  test('profile show | edit | set round-trips through YAML; delete removes it', async () => {
    const yaml = await f.run('profile', 'show', 'sensor');
    assert.match(yaml.stdout, /^name: sensor$/m);
    const file = join(dir, 'meter.yaml');
    writeFileSync(file, yaml.stdout.replace(/^name: sensor$/m, 'name: meter').replace(/^validity: 30d$/m, 'validity: 60d'));
    const saved = await f.run('profile', 'set', file);
    assert.equal(saved.code, 0, saved.stderr);
    const meter = await f.json('profile', 'show', 'meter');
    assert.equal(meter.validity, '60d');
    writeFileSync(file, 'name: broken\nca: devices-production\nvalidity: soon\n');
    const bad = await f.run('profile', 'set', file);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid profile/);
    assert.equal((await f.run('profile', 'delete', 'meter')).code, 0);
    assert.ok(!(await f.json('profile', 'list')).some((p: { name: string }) => p.name === 'meter'));
  });

  test('ca create makes an issuing CA under the root; import-root takes an offline root certificate', async () => {
    const ca = await f.json('ca', 'create', '--name', 'devices-eu', '--validity-days', '365', '--common-name', 'Fleet Devices EU CA', '--parent', 'fleet-root');
    assert.deepEqual([ca.kind, ca.parent, ca.hasKey], ['issuing', 'fleet-root', true]);
    assert.ok(!JSON.stringify(ca).includes('PRIVATE KEY'));
    const key = join(dir, 'offline.key');
    const cert = join(dir, 'offline.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=Offline Root', '-days', '30'], { stdio: 'ignore' });
    const imported = await f.json('ca', 'import-root', '--name', 'offline-root', '--cert', cert);
    assert.deepEqual([imported.kind, imported.hasKey], ['root', false]);
    const table = await f.run('ca', 'list');
    assert.match(table.stdout, /devices-eu\s+issuing\s+active\s+fleet-root/);
    assert.match(table.stdout, /offline-root\s+root/);
    const bad = await f.run('ca', 'create', '--name', 'Bad Name', '--validity-days', '1', '--common-name', 'x', '--parent', 'fleet-root');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid CA: name/);
  });
});

describe('fleetpki audit', () => {
  test('every action above is in an intact chain, attributed to cli:<user>', async () => {
    const verified = await f.run('audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^chain intact: \d+ events$/m);
    const revocations = await f.json('audit', 'list', '--action', 'certificate.revoke', '--limit', '10');
    assert.ok(revocations.items.length >= 3);
    assert.ok(revocations.items.every((e: { actor: string }) => /^cli:/.test(e.actor) || e.actor === 'system:init'));
    assert.ok(revocations.items.some((e: { outcome: string }) => e.outcome === 'refused'));
  });
});
