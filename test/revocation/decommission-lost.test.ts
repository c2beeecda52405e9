// A device decommissioned as lost: its key may be in anyone's hands, so every certificate it
// held is revoked with keyCompromise (RFC 5280 5.3.1), not cessationOfOperation. Checked in
// the ledger, in the CRL at the certificate's distribution point as `openssl crl -text`
// prints it, and by `openssl verify -crl_check` refusing the certificate.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decommissionDevice } from '../../src/app/devices.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { getCertificate } from '../../src/store/repos/certificates.ts';
import { openTestFleet, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { crlDpOf, crlFile, crlText, issueDevice, verifyWithCrls } from '../crl/harness.ts';

describe('decommission with reason lost', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet({ publicUrl: 'http://pki.fleet.test' });
  });
  after(() => fleet?.close());

  it('revokes every certificate of the device with keyCompromise, on its partition CRL, refused by openssl', async () => {
    const cert = await issueDevice(fleet);
    const crls = new CrlScheduler(fleet.ctx).listen();
    const { revoked } = await decommissionDevice(fleet.ctx, cert.deviceId, 'lost', 'test');
    await crls.flush();
    await crls.stop();
    assert.deepEqual(revoked, [cert.row.id]);
    const row = await getCertificate(fleet.ctx.db, cert.row.id);
    assert.equal(row?.status, 'revoked');
    assert.equal(row?.revocation_reason, 'keyCompromise');

    const partition = /\/([^/]+)\.crl$/.exec(crlDpOf(cert.pem))![1];
    const crl = await crlService(fleet.ctx).current('devices-production', partition);
    assert.match(crlText(crl.der), new RegExp(`Serial Number: ${cert.row.serial_hex.toUpperCase()}\\n\\s+Revocation Date: .*\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: *\\n\\s+Key Compromise`));
    const verdict = verifyWithCrls(await writeChainFiles(fleet), cert.certFile, [crlFile(fleet.dir, crl.der)]);
    assert.equal(verdict.ok, false);
    assert.match(verdict.output, /certificate revoked/);
  });
});
