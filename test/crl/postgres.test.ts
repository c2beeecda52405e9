// The CRL queries on PostgreSQL: the months that hold revocations (one seek each), a month's
// bounds up to 9999-12 as text comparisons under the server's collation, and which
// partitions can hold a certificate, give the answers they give on SQLite. Skipped with the
// reason when FLEETPKI_TEST_PG_URL names no server that answers.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { decommissionDevice } from '../../src/app/devices.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import { partitionOf } from '../../src/revocation/partition.ts';
import { revokedMonths } from '../../src/revocation/revoked-entries.ts';
import { parseCrl } from '../../src/x509/crl.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { postgresCase, type EngineCase } from '../store/engines.ts';
import { issueDevice, issueIdevidDevice, makeManufacturerCa, type Issued } from './harness.ts';

const pg: EngineCase = await postgresCase();
if (pg.skip) console.log(`# skipping the CRL queries on PostgreSQL: ${pg.skip}`);

describe('CRLs on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let fleet: TestFleet;
  let idevid: Issued;
  let sensor: Issued;
  before(async () => {
    fleet = await openTestFleet({ db: pg.url });
    await makeManufacturerCa(fleet);
    idevid = await issueIdevidDevice(fleet);
    sensor = await issueDevice(fleet);
    await decommissionDevice(fleet.ctx, idevid.deviceId, 'compromised', 'test');
    await revokeCertificate(fleet.ctx, sensor.row.id, 'superseded', 'test');
  });
  after(async () => {
    await fleet?.close();
    await pg.cleanup();
  });

  it('a full CRL reads the months that hold revocations, 9999-12 included, and lists them', async () => {
    const acme = await fleet.ctx.cas.byName('acme-factory');
    assert.deepEqual(await revokedMonths(fleet.ctx.db, acme.row.id, new Date().toISOString()), ['9999-12']);
    const production = await fleet.ctx.cas.byName('devices-production');
    assert.deepEqual(await revokedMonths(fleet.ctx.db, production.row.id, new Date().toISOString()), [sensor.row.not_after.slice(0, 7)]);
    const service = crlService(fleet.ctx);
    const full = parseCrl((await service.current('acme-factory', 'full')).der);
    assert.deepEqual(full.entries.map((e) => [e.serialHex, e.reason]), [[idevid.row.serial_hex, 'keyCompromise']]);
    const shard = parseCrl((await service.current('acme-factory', partitionOf(idevid.row.not_after, idevid.row.serial_hex))).der);
    assert.deepEqual(shard.entries.map((e) => e.serialHex), [idevid.row.serial_hex]);
  });

  it('a partition no certificate can be in is refused; one holding the IDevID is served', async () => {
    const service = crlService(fleet.ctx);
    await assert.rejects(service.current('acme-factory', '700006-a'), { name: 'NotFound', message: /no certificate of CA acme-factory is in CRL partition 700006-a/ });
    const other = `999912-${idevid.row.serial_hex.slice(-1) === 'f' ? 'e' : 'f'}`;
    await assert.rejects(service.current('acme-factory', other), { name: 'NotFound' });
  });
});
