// The published ca-bundle.pem is what a gateway trusts for client certificates (Mosquitto
// `cafile`). Checked the way Mosquitto checks a client, with openssl verify -purpose
// sslclient and the published CRLs: an operational certificate gets in, an IDevID from a
// manufacturer CA fleetpki also holds does not, and the code-signing CA is not trusted.
// crl.publishCas chooses the CAs explicitly; an unknown name is an error, not a smaller bundle.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { publishCrls } from '../../src/revocation/publish.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { issueDevice, issueIdevidDevice, makeManufacturerCa, type Issued } from './harness.ts';

describe('the published CA bundle', () => {
  let fleet: TestFleet;
  let publishDir: string;
  let device: Issued;
  let idevid: Issued;
  const bundle = () => join(publishDir, 'ca-bundle.pem');

  /** What Mosquitto does with a client certificate: cafile + crlfile, TLS client purpose. */
  function asMosquitto(cert: Issued): { ok: boolean; output: string } {
    const result = spawnSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', bundle(), '-crl_check_all', '-CRLfile', join(publishDir, 'crls.pem'), cert.certFile], { encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  }

  /** The subjects in the bundle, as openssl reads them. */
  function subjects(): string[] {
    const blocks = readFileSync(bundle(), 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];
    return blocks.map((pem) => execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'oneline'], { input: pem, encoding: 'utf8' }).trim());
  }

  before(async () => {
    fleet = await openTestFleet();
    publishDir = join(fleet.dir, 'gateway');
    fleet.ctx.config.crl.publishDir = publishDir;
    await makeManufacturerCa(fleet);
    idevid = await issueIdevidDevice(fleet);
    device = await issueDevice(fleet);
    await crlService(fleet.ctx).sweep();
  });
  after(() => fleet?.close());

  it('by default holds the fleet root and the CAs that issue device and TLS certificates, not a manufacturer CA nor the code-signing CA', async () => {
    const publication = (await publishCrls(fleet.ctx))!;
    assert.deepEqual(publication.bundle, ['fleet-root', 'devices-production', 'devices-lab']);
    const names = subjects();
    assert.equal(names.length, 3);
    assert.ok(names.some((s) => s.includes('fleetpki Root CA')) && names.some((s) => s.includes('fleetpki Devices Production CA')), names.join('\n'));
    assert.ok(!names.some((s) => s.includes('Code Signing') || s.includes('acme-factory')), names.join('\n'));
    // crls.pem still has every CA's CRL: a relying party that checks an IDevID elsewhere needs it.
    assert.equal(readFileSync(join(publishDir, 'crls.pem'), 'utf8').match(/BEGIN X509 CRL/g)?.length, 5);
  });

  it('Mosquitto-style check: the operational certificate verifies, the IDevID does not', async () => {
    await publishCrls(fleet.ctx);
    const operational = asMosquitto(device);
    assert.ok(operational.ok, operational.output);
    const birth = asMosquitto(idevid);
    assert.equal(birth.ok, false, birth.output);
    assert.match(birth.output, /unable to get local issuer certificate/);
  });

  it('crl.publishCas chooses the CAs, in hierarchy order; naming the manufacturer CA lets its IDevIDs in', async () => {
    fleet.ctx.config.crl.publishCas = ['acme-factory', 'devices-production', 'fleet-root'];
    try {
      const publication = (await publishCrls(fleet.ctx))!;
      assert.deepEqual(publication.bundle, ['fleet-root', 'devices-production', 'acme-factory']);
      assert.ok(asMosquitto(idevid).ok, 'trusted because the operator said so');
      assert.ok(asMosquitto(device).ok);
    } finally {
      fleet.ctx.config.crl.publishCas = undefined;
    }
  });

  it('an unknown CA in crl.publishCas is refused; the CRLs are still written and the old bundle is kept', async () => {
    await publishCrls(fleet.ctx);
    const before = readFileSync(bundle(), 'utf8');
    writeFileSync(join(publishDir, 'crls.pem'), '');
    fleet.ctx.config.crl.publishCas = ['fleet-root', 'no-such-ca'];
    try {
      await assert.rejects(publishCrls(fleet.ctx), { name: 'BadRequest', message: 'crl.publishCas names no-such-ca, which is no CA here (fleetpki ca list)' });
    } finally {
      fleet.ctx.config.crl.publishCas = undefined;
    }
    assert.equal(readFileSync(bundle(), 'utf8'), before);
    assert.match(readFileSync(join(publishDir, 'crls.pem'), 'utf8'), /BEGIN X509 CRL/);
  });

  it('the setting is checked where the configuration is loaded: CA names only, at least one', () => {
    const file = join(fleet.dir, 'bad.json');
    for (const publishCas of [[], ['Not A Name']]) {
      writeFileSync(file, JSON.stringify({ crl: { publishCas } }));
      assert.throws(() => loadConfig({ dataDir: fleet.dir, config: file }, {}), /crl\.publishCas/);
    }
  });
});
