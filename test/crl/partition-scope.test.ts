// Partition URLs are public and anyone can ask for any YYYYMM-h. Only a partition that can
// hold a certificate of the CA (a month a certificate issued now can expire in, or one where
// the ledger has a certificate of the CA with that last serial digit) is signed and stored;
// any other is a 404 that signs, stores and audits nothing, and is never swept. Partitions
// stored before this rule are dropped by the sweep.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listAudit } from '../../src/app/audit.ts';
import { getProfile } from '../../src/app/profiles.ts';
import { newId } from '../../src/ids.ts';
import { validitySeconds } from '../../src/ra/profile.ts';
import { highestCrlNumber, listCrlMeta, saveCrl } from '../../src/revocation/crl-rows.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { partitionOf } from '../../src/revocation/partition.ts';
import { insertCertificate } from '../../src/store/repos/certificates.ts';
import { parseCrl } from '../../src/x509/crl.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { issueIdevidDevice, makeManufacturerCa, type Issued } from './harness.ts';

const DAY = 86_400_000;
const month = (at: Date) => `${at.toISOString().slice(0, 4)}${at.toISOString().slice(5, 7)}`;

describe('which CRL partitions are signed and stored', () => {
  let api: ApiHarness;
  let idevid: Issued;
  const get = (url: string) => api.call('GET', url, { token: null });
  const stored = async (ca: string) => {
    const issuer = await api.fleet.ctx.cas.byName(ca);
    return (await listCrlMeta(api.fleet.ctx.db, issuer.row.id)).map((m) => m.partition);
  };
  const signings = async () => (await listAudit(api.fleet.ctx, { action: 'crl.sign' }, { limit: 1000 })).items.length;

  before(async () => {
    api = await openApi({ publicUrl: 'http://pki.fleet.test' });
    await makeManufacturerCa(api.fleet);
    idevid = await issueIdevidDevice(api.fleet);
  });
  after(() => api?.close());

  it('a month beyond every lifetime the CA issues, holding none of its certificates, is a 404: nothing signed, stored or audited', async () => {
    // devices-production's longest profile is tls-server (397 days); its certificate runs five years.
    const longest = Math.max(...(await Promise.all(['sensor', 'gateway', 'tls-server'].map((p) => getProfile(api.fleet.ctx, p)))).map((p) => validitySeconds(p) * 1000));
    const beyond = `${month(new Date(Date.now() + longest + 62 * DAY))}-a`;
    const before = await signings();
    for (const [ca, partition] of [['devices-production', beyond], ['acme-factory', '500001-a'], ['acme-factory', '999901-0']]) {
      const response = await get(`/crl/${ca}/${partition}.crl`);
      assert.equal(response.statusCode, 404, `${ca}/${partition}`);
      assert.match(errorOf(response).message, new RegExp(`no certificate of CA ${ca} is in CRL partition ${partition}, and none issued now can be`));
      assert.ok(!(await stored(ca)).includes(partition));
    }
    assert.equal(await signings(), before, 'no crl.sign event');
  });

  it('a month a certificate issued now can expire in is signed and stored, even with no certificate in it yet', async () => {
    const soon = `${month(new Date(Date.now() + 200 * DAY))}-7`;
    const response = await get(`/crl/devices-production/${soon}.crl`);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(parseCrl(response.rawPayload).distributionPoint, `http://pki.fleet.test/crl/devices-production/${soon}.crl`);
    assert.ok((await stored('devices-production')).includes(soon));
  });

  it('a partition that holds a certificate of the CA is served whatever its month: the IDevID’s 9999-12 shard, a long-lived import', async () => {
    const shard = `999912-${idevid.row.serial_hex.slice(-1)}`;
    const response = await get(`/crl/acme-factory/${shard}.crl`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(parseCrl(response.rawPayload).entries, [], 'a valid IDevID: an empty partition');
    const other = `999912-${idevid.row.serial_hex.slice(-1) === '0' ? '1' : '0'}`;
    assert.equal((await get(`/crl/acme-factory/${other}.crl`)).statusCode, 404, 'the other shards of that month hold none');

    const ca = await api.fleet.ctx.cas.byName('devices-production');
    const notAfter = new Date(Math.min(ca.cert.notAfter.getTime() - DAY, Date.now() + 3 * 365 * DAY));
    const serial = '5a17e0c0ffee0042';
    await insertCertificate(api.fleet.ctx.db, {
      id: newId(), issuer_id: ca.row.id, serial_hex: serial, subject: 'CN=imported', sans: '[]', key_type: 'ec-p256', spki_sha256: serial, fingerprint_sha256: serial,
      not_before: new Date().toISOString(), not_after: notAfter.toISOString(), renew_after: notAfter.toISOString(), status: 'valid', revocation_reason: null, revoked_at: null,
      profile: 'sensor', device_id: null, replaces_id: null, der: Buffer.from([0x30, 0]), created_at: new Date().toISOString(),
    });
    assert.equal((await get(`/crl/devices-production/${partitionOf(notAfter, serial)}.crl`)).statusCode, 200);
  });

  it('the sweep drops a stored partition no certificate can be in (audited crl.drop) and never re-signs it', async () => {
    const ca = await api.fleet.ctx.cas.byName('acme-factory');
    const stale = '600001-a'; // as the code before this rule stored on request
    await saveCrl(api.fleet.ctx.db, { ca_id: ca.row.id, partition: stale, crl_number: (await highestCrlNumber(api.fleet.ctx.db, ca.row.id)) + 1, this_update: new Date(Date.now() - 2 * DAY).toISOString(), next_update: new Date(Date.now() - DAY).toISOString(), entries: 0, der: Buffer.from([0x30, 0]) });
    await crlService(api.fleet.ctx).sweep();
    assert.ok(!(await stored('acme-factory')).includes(stale));
    const [drop] = (await listAudit(api.fleet.ctx, { action: 'crl.drop', target: 'ca:acme-factory' }, { limit: 10 })).items;
    assert.deepEqual(drop.details.partitions, [stale]);
    const signed = (await listAudit(api.fleet.ctx, { action: 'crl.sign', target: 'ca:acme-factory' }, { limit: 100 })).items;
    assert.ok(!signed.some((e) => (e.details.partitions as string[]).includes(stale)), 'not re-signed');
  });
});
