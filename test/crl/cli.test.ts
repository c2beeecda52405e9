// The CLI as an operator uses it: a revocation or a release made from the console re-signs
// the CRLs and republishes the gateway files before the command returns; `crl` lists, shows,
// signs and publishes them.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { opensslCsr } from '../helpers/context.ts';
import { fleet, tempDir } from '../cli/run.ts';

const dir = tempDir('fleetpki-crl-cli-');
const publishDir = join(dir, 'gateway');
const config = join(dir, 'fleetpki.yaml');
writeFileSync(config, `crl:\n  publishDir: ${publishDir}\n`);
const f = fleet(dir, { FLEETPKI_CONFIG: config });
after(() => rmSync(dir, { recursive: true, force: true }));

/** openssl verify of the certificate against the published bundle and CRLs, as a gateway would. */
function gatewayVerdict(certFile: string): string {
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, readFileSync(join(publishDir, 'ca-bundle.pem')));
  const result = spawnSync('openssl', ['verify', '-crl_check_all', '-CAfile', chain, '-CRLfile', join(publishDir, 'crls.pem'), certFile], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}

describe('fleetpki cert revoke/release and crl', () => {
  let certId: string;
  let certFile: string;

  before(async () => {
    assert.equal((await f.run('init')).code, 0);
    const deviceId = (await f.json('device', 'create', '--serial', 'SN-CRL-1', '--class', 'sensor', '--environment', 'production')).id;
    const csr = join(dir, 'device.csr');
    writeFileSync(csr, opensslCsr(dir).pem);
    certFile = join(dir, 'device.pem');
    certId = (await f.json('cert', 'issue', '--csr', csr, '--profile', 'sensor', '--device', deviceId, '--out', certFile)).id;
  });

  test('a hold from the console is on the published CRLs when the command returns; release takes it off', async () => {
    const held = await f.json('cert', 'revoke', certId, '--reason', 'certificateHold');
    assert.equal(held.status, 'on_hold');
    assert.match(gatewayVerdict(certFile), /certificate revoked/);

    const released = await f.json('cert', 'release', certId);
    assert.equal(released.status, 'valid');
    assert.match(gatewayVerdict(certFile), /: OK\n/);

    const again = await f.run('cert', 'release', certId);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is valid, not on hold/);
  });

  test('crl list shows the full CRL of every CA and the partition of the held certificate', async () => {
    const { items } = await f.json('crl', 'list');
    const cas = new Set(items.filter((i: any) => i.partition === 'full').map((i: any) => i.ca));
    assert.deepEqual([...cas].sort(), ['code-signing', 'devices-lab', 'devices-production', 'fleet-root']);
    assert.ok(items.some((i: any) => i.ca === 'devices-production' && /^\d{6}-[0-9a-f]$/.test(i.partition)));
  });

  test('crl show writes the partition CRL named in the certificate, which openssl reads', async () => {
    const dp = /URI:(\S+)/.exec(execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-ext', 'crlDistributionPoints'], { encoding: 'utf8' }))![1];
    const partition = /\/([^/]+)\.crl$/.exec(dp)![1];
    const out = join(dir, 'partition.crl');
    const shown = await f.json('crl', 'show', 'devices-production', '--partition', partition, '--out', out);
    assert.equal(shown.distributionPoint, dp);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', out, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, new RegExp(`URI:${dp.replace(/[.]/g, '\\.')}`));
    const unknown = await f.run('crl', 'show', 'no-such-ca');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no CA named no-such-ca/);
  });

  test('crl generate re-signs with higher CRL numbers; crl publish needs a publishDir', async () => {
    const before = (await f.json('crl', 'list', '--ca', 'devices-production')).items;
    const { items } = await f.json('crl', 'generate', '--ca', 'devices-production');
    for (const old of before) {
      const fresh = items.find((i: any) => i.partition === old.partition);
      assert.ok(fresh && fresh.crlNumber > Math.max(...before.map((b: any) => b.crlNumber)), `${old.partition} re-signed`);
    }
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, 'logLevel: warn\n');
    const refused = await f.run('--config', bare, 'crl', 'publish');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /crl\.publishDir is not configured/);
  });
});
