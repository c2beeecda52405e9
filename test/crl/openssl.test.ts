// OpenSSL is the oracle: the CRLs fleetpki serves at the distribution points its certificates
// carry make `openssl verify -crl_check` and `-crl_check_all` pass for a good certificate and
// fail for a revoked or held one, and `openssl crl -text` shows the fields RFC 5280 asks for.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { openTestFleet, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { crlDpOf, crlFile, crlText, issueDevice, verifyWithCrls, type Issued } from './harness.ts';

const PUBLIC_URL = 'http://pki.fleet.test';

describe('CRLs judged by openssl', () => {
  let fleet: TestFleet;
  let app: FastifyInstance;
  let chain: { root: string; intermediate: string };
  let good: Issued;
  let lost: Issued;
  let held: Issued;

  /** GET the CRL at a URL a certificate names, through the real routes. */
  async function fetchCrl(url: string): Promise<Buffer> {
    assert.ok(url.startsWith(`${PUBLIC_URL}/crl/`), `${url} is under the public URL`);
    const response = await app.inject({ method: 'GET', url: url.slice(PUBLIC_URL.length) });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/pkix-crl');
    return response.rawPayload;
  }

  before(async () => {
    fleet = await openTestFleet({ publicUrl: PUBLIC_URL });
    app = await buildApi(fleet.ctx);
    chain = await writeChainFiles(fleet);
    [good, lost, held] = [await issueDevice(fleet), await issueDevice(fleet), await issueDevice(fleet)];
    const crls = new CrlScheduler(fleet.ctx).listen();
    await revokeCertificate(fleet.ctx, lost.row.id, 'keyCompromise', 'test');
    await revokeCertificate(fleet.ctx, held.row.id, 'certificateHold', 'test');
    await crls.flush();
    await crls.stop();
  });
  after(async () => {
    await app?.close();
    await fleet?.close();
  });

  it('certificates name their partition CRL: expiry month and last hex digit of the serial', () => {
    for (const cert of [good, lost, held]) {
      const month = cert.row.not_after.slice(0, 7).replace('-', '');
      assert.equal(crlDpOf(cert.pem), `${PUBLIC_URL}/crl/devices-production/${month}-${cert.row.serial_hex.slice(-1)}.crl`);
    }
  });

  it('-crl_check with the partition CRL: the good certificate passes, the revoked and the held one fail', async () => {
    const verdict = (cert: Issued) => fetchCrl(crlDpOf(cert.pem)).then((der) => verifyWithCrls(chain, cert.certFile, [crlFile(fleet.dir, der)]));
    const ok = await verdict(good);
    assert.ok(ok.ok, ok.output);
    for (const cert of [lost, held]) {
      const refused = await verdict(cert);
      assert.equal(refused.ok, false);
      assert.match(refused.output, /certificate revoked/);
    }
  });

  it('-crl_check_all with the root CRL (the issuing CA certificate names it) and the partition CRL', async () => {
    const rootCrl = crlFile(fleet.dir, await fetchCrl(crlDpOf(await caPem(app, 'devices-production'))));
    const ok = verifyWithCrls(chain, good.certFile, [rootCrl, crlFile(fleet.dir, await fetchCrl(crlDpOf(good.pem)))], true);
    assert.ok(ok.ok, ok.output);
    const refused = verifyWithCrls(chain, lost.certFile, [rootCrl, crlFile(fleet.dir, await fetchCrl(crlDpOf(lost.pem)))], true);
    assert.match(refused.output, /certificate revoked/);
    const noRootCrl = verifyWithCrls(chain, good.certFile, [crlFile(fleet.dir, await fetchCrl(crlDpOf(good.pem)))], true);
    assert.match(noRootCrl.output, /unable to get certificate CRL/, 'without the root CRL the issuing CA is unchecked');
  });

  it('the full CRL (no issuingDistributionPoint) judges every certificate of the CA alike', async () => {
    const files = [crlFile(fleet.dir, await fetchCrl(`${PUBLIC_URL}/crl/fleet-root.crl`)), crlFile(fleet.dir, await fetchCrl(`${PUBLIC_URL}/crl/devices-production.crl`))];
    assert.ok(verifyWithCrls(chain, good.certFile, files, true).ok);
    assert.match(verifyWithCrls(chain, lost.certFile, files, true).output, /certificate revoked/);
    assert.match(verifyWithCrls(chain, held.certFile, files, true).output, /certificate revoked/);
  });

  it("another partition's CRL is not accepted for a certificate: the scope is the distribution point", async () => {
    const other = await issueDevice(fleet);
    const otherUrl = crlDpOf(other.pem);
    const url = otherUrl !== crlDpOf(good.pem) ? otherUrl : otherUrl.replace(/-([0-9a-f])\.crl$/, (_m, d: string) => `-${d === '0' ? '1' : '0'}.crl`);
    const verdict = verifyWithCrls(chain, good.certFile, [crlFile(fleet.dir, await fetchCrl(url))]);
    assert.equal(verdict.ok, false);
    assert.match(verdict.output, /different CRL scope|unable to get certificate CRL/);
  });

  it('openssl crl -text: v2, issuer, AKI of the CA, CRL number, critical IDP naming the URL, reasons, nextUpdate from the configuration', async () => {
    const url = crlDpOf(lost.pem);
    const text = crlText(await fetchCrl(url));
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /Issuer: O = fleetpki, CN = fleetpki Devices Production CA/);
    const ski = (await fleet.ctx.cas.byName('devices-production')).row.ski_hex.toUpperCase().match(/../g)!.join(':');
    assert.match(text, new RegExp(`X509v3 Authority Key Identifier: *\\n\\s+(keyid:)?${ski}`));
    assert.match(text, /X509v3 CRL Number: *\n\s+\d+/);
    assert.match(text, new RegExp(`X509v3 Issuing Distribution Point: critical\\n\\s+Full Name:\\n\\s+URI:${url.replace(/[.]/g, '\\.')}`));
    assert.match(text, new RegExp(`Serial Number: ${lost.row.serial_hex.toUpperCase()}\\n\\s+Revocation Date: .*\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: *\\n\\s+Key Compromise`));
    const last = Date.parse(/Last Update: (.*)/.exec(text)![1]);
    const next = Date.parse(/Next Update: (.*)/.exec(text)![1]);
    assert.equal(next - last, fleet.ctx.config.crl.validityHours * 3_600_000);
    const heldText = crlText(await fetchCrl(crlDpOf(held.pem)));
    assert.match(heldText, new RegExp(`Serial Number: ${held.row.serial_hex.toUpperCase()}[\\s\\S]*?Certificate Hold`));
  });

  it('the full CRL lists both revocations, with no issuingDistributionPoint', async () => {
    const text = crlText(await fetchCrl(`${PUBLIC_URL}/crl/devices-production.crl`));
    assert.ok(!text.includes('Issuing Distribution Point'));
    assert.ok(text.includes(lost.row.serial_hex.toUpperCase()) && text.includes(held.row.serial_hex.toUpperCase()));
    assert.ok(!text.includes(good.row.serial_hex.toUpperCase()));
  });
});

/** The CA certificate as PEM, fetched from its caIssuers URL. */
async function caPem(app: FastifyInstance, name: string): Promise<string> {
  return (await app.inject({ method: 'GET', url: `/ca/${name}.pem` })).body;
}
