// The same discovery queries on PostgreSQL (skipped with the reason when none answers at
// FLEETPKI_TEST_PG_URL): upserts of certificates and sightings, counters, findings across two
// runs, a resolution, and the views the API pages through.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { importBundle } from '../../src/discovery/import.ts';
import { resolveFinding } from '../../src/discovery/resolve.ts';
import { startScan } from '../../src/discovery/scan.ts';
import { presentFindings } from '../../src/discovery/views.ts';
import { searchDiscovered } from '../../src/store/repos/discovered-certificates.ts';
import { searchFindings } from '../../src/store/repos/discovery-findings.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { postgresCase } from '../store/engines.ts';
import { closeAll, leafFrom, selfSigned, serve, testCa, type Endpoint } from './fixtures.ts';

const pg = await postgresCase();

describe('discovery on PostgreSQL', { skip: pg.skip }, () => {
  let fleet: TestFleet;
  let endpoint: Endpoint;
  before(async () => {
    fleet = await openTestFleet({ db: pg.url });
  });
  after(async () => {
    await closeAll(endpoint ? [endpoint] : []);
    await fleet.close();
    await pg.cleanup();
  });

  it('imports, scans the same key elsewhere, finds the sharing, and resolves', async () => {
    const ca = testCa(fleet.dir, '/CN=Unknown Test CA');
    const first = leafFrom(fleet.dir, ca, 'pg-a');
    const second = leafFrom(fleet.dir, ca, 'pg-b', { key: first.key });
    const imported = await importBundle(fleet.ctx, Buffer.from(first.pem + ca.pem), 'pg', {}, 'test');
    assert.equal(imported.status, 'completed');
    assert.equal(Number(imported.certificates_seen), 2);
    endpoint = await serve(readFileSync(second.key, 'utf8'), second.pem);
    const { done } = await startScan(fleet.ctx, { targets: [endpoint.location] }, 'test');
    const run = await done;
    assert.equal(run.status, 'completed');
    const shared = await presentFindings(fleet.ctx.db, (await searchFindings(fleet.ctx.db, { kind: 'shared-key' }, { limit: 10 })).items);
    assert.deepEqual(shared.map((f) => f.certificate.seenAt[0].location).sort(), [endpoint.location, 'upload:pg'].sort());
    const { finding } = await resolveFinding(fleet.ctx, shared[0].id, { action: 'dismiss', reason: 'test rig' }, 'test');
    assert.equal(finding.status, 'dismissed');
    const page = await searchDiscovered(fleet.ctx.db, { q: 'PG-A' }, { limit: 10 });
    assert.equal(page.items.length, 1, 'case-insensitive search on PostgreSQL too');
    const self = selfSigned(fleet.dir, 'pg-self');
    const again = await importBundle(fleet.ctx, Buffer.from(self.pem), 'pg', {}, 'test');
    assert.equal(Number(again.findings_opened), 2);
  });
});
