// The firmware commands as a release engineer and a device operator use them, end to end on
// one data directory: a release signer in the inventory, its code-signing certificate, a
// signed image checked by openssl, the signing recorded and audited, verify's exit status.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, fleet, tempDir } from '../cli/run.ts';
import { opensslCsr } from '../helpers/context.ts';

const dir = tempDir('fleetpki-firmware-cli-');
const f = fleet(dir);
const image = join(dir, 'sensor-1.4.0.bin');
const bundle = join(dir, 'code-signing-chain.pem');
const crl = join(dir, 'code-signing.crl');
let signerCert: string;
let signerKey: string;
let certId: string;
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  assert.equal((await f.run('init')).code, 0);
  const signer = await f.json('device', 'create', '--serial', 'RELEASE-1', '--class', 'release-signer', '--environment', 'production', '--owner', 'release-team');
  const csr = opensslCsr(dir, 'ec-p256');
  writeFileSync(join(dir, 'signer.csr'), csr.pem);
  signerKey = csr.keyFile;
  signerCert = join(dir, 'signer.pem');
  const issued = await f.json('cert', 'issue', '--csr', join(dir, 'signer.csr'), '--profile', 'code-signing', '--device', signer.id, '--chain', '--out', signerCert);
  certId = issued.id;
  writeFileSync(image, randomBytes(200_000));
  writeFileSync(bundle, (await f.run('ca', 'chain', 'code-signing')).stdout);
});

test('a sensor cannot get a code-signing certificate: the profile is for release signers only', async () => {
  const sensor = await f.json('device', 'create', '--serial', 'SN-1', '--class', 'sensor', '--environment', 'production');
  const result = await f.run('cert', 'issue', '--csr', join(dir, 'signer.csr'), '--profile', 'code-signing', '--device', sensor.id);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /profile code-signing is not for device class sensor \(allowed: release-signer\)/);
});

test('firmware sign writes the three files, records the signing and audits it; openssl verifies the result', async () => {
  const signed = await f.json('firmware', 'sign', '--image', image, '--key', signerKey, '--cert', signerCert, '--version', '1.4.0', '--min-version', '1.0.0', '--device-class', 'sensor', '--device-class', 'gateway');
  for (const file of [`${image}.sig`, `${image}.manifest.json`, `${image}.manifest.json.sig`]) assert.ok(existsSync(file), file);
  assert.equal(signed.certificateId, certId);
  const sha256 = execFileSync('sha256sum', [image], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(signed.imageSha256, sha256);

  const listed = await f.json('firmware', 'list', '--sha256', sha256);
  assert.equal(listed.items.length, 1);
  assert.deepEqual([listed.items[0].version, listed.items[0].certificateId, listed.items[0].manifest.targets.deviceClasses], ['1.4.0', certId, ['sensor', 'gateway']]);
  assert.match(listed.items[0].actor, /^cli:/);
  const audit = await f.json('audit', 'list', '--action', 'firmware.sign');
  const event = audit.items.find((e: { outcome: string }) => e.outcome === 'success');
  assert.equal(event.target, `firmware:${sha256}`);
  assert.deepEqual([event.details.imageSha256, event.details.certificateId, event.details.version], [sha256, certId, '1.4.0']);
  assert.equal((await f.run('audit', 'verify')).code, 0);

  execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-content', image, '-in', `${image}.sig`, '-CAfile', bundle, '-purpose', 'any', '-out', '/dev/null'], { stdio: 'pipe' });
});

test('firmware verify needs no database: exit 0 when it fits, 1 with the failed check otherwise', async () => {
  assert.equal((await f.run('crl', 'show', 'code-signing', '--out', crl)).code, 0);
  const args = ['firmware', 'verify', '--image', image, '--ca-bundle', bundle, '--crl', crl, '--device-class', 'sensor'];
  const ok = await cli([...args, '--installed-version', '1.3.0'], {});
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^verified: sensor-1\.4\.0\.bin version 1\.4\.0/);
  assert.match(ok.stdout, /revocation:\s+not on the CRL/);

  const rollback = await cli([...args, '--installed-version', '2.0.0', '--json'], {});
  assert.equal(rollback.code, 1);
  const error = JSON.parse(rollback.stderr).error;
  assert.deepEqual([error.code, error.details.check], ['policy_denied', 'rollback']);
  const noRevocation = await cli(args.filter((a) => a !== '--crl' && a !== crl).concat('--installed-version', '1.0.0'), {});
  assert.equal(noRevocation.code, 1);
  assert.match(noRevocation.stderr, /revocation status cannot be checked/);
});

test('signing with the wrong key, or with a revoked certificate, is refused and nothing is written', async () => {
  const other = join(dir, 'after-revoke.bin');
  writeFileSync(other, randomBytes(1000));
  const sign = (key: string) => f.run('firmware', 'sign', '--image', other, '--key', key, '--cert', signerCert, '--version', '1.5.0', '--device-class', 'sensor');
  const mismatch = await sign(opensslCsr(dir, 'ec-p256').keyFile);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /the signing key does not belong to the certificate/);
  assert.equal((await f.run('cert', 'revoke', certId, '--reason', 'keyCompromise')).code, 0);
  const revoked = await sign(signerKey);
  assert.equal(revoked.code, 1);
  assert.match(revoked.stderr, /is revoked; it may not sign/);
  assert.ok(!existsSync(`${other}.sig`) && !existsSync(`${other}.manifest.json`));
  const refusals = await f.json('audit', 'list', '--action', 'firmware.sign');
  assert.equal(refusals.items.filter((e: { outcome: string }) => e.outcome === 'refused').length, 2);
});

test('firmware help lists its commands with examples', async () => {
  const help = await cli(['firmware', '--help']);
  for (const sub of ['sign', 'verify', 'list']) assert.match(help.stdout, new RegExp(`^  ${sub}\\b`, 'm'));
  for (const sub of ['sign', 'verify']) assert.match((await cli(['firmware', sub, '--help'])).stdout, /Example:\n {2}\$ fleetpki firmware /);
});
