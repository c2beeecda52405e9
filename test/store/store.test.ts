// One suite, run against every engine: the repositories must behave the same on both.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { BadRequest } from '../../src/errors.ts';
import { newId } from '../../src/ids.ts';
import { createMigrations } from '../../src/store/migrations/index.ts';
import { isUniqueViolation, openStore, type Store } from '../../src/store/open.ts';
import { getCa, getCaByName, insertCa, listCas, updateCa } from '../../src/store/repos/cas.ts';
import {
  countCertificates,
  countCertificatesByStatus,
  getCertificate,
  getCertificateBySerial,
  insertCertificate,
  insertCertificates,
  listCertificatesForDevice,
  searchCertificates,
  updateCertificateStatus,
} from '../../src/store/repos/certificates.ts';
import {
  countDevices,
  getDevice,
  getDeviceBySerial,
  insertDevice,
  searchDevices,
  updateDevice,
  type DeviceFilter,
} from '../../src/store/repos/devices.ts';
import { deleteProfile, getProfile, listProfiles, upsertProfile } from '../../src/store/repos/profiles.ts';
import { getToken, getTokenByHash, insertToken, listTokens, revokeToken, touchToken } from '../../src/store/repos/tokens.ts';
import { postgresCase, sqliteCase, type EngineCase } from './engines.ts';
import { ALL_BYTES, caRow, certificateRow, deviceRow, NOW } from './fixtures.ts';

const engines = [sqliteCase(), await postgresCase()];

for (const engine of engines) {
  if (engine.skip) console.log(`store tests on ${engine.engine} skipped: ${engine.skip}`);
  describe(`store on ${engine.engine}`, { skip: engine.skip }, () => storeSuite(engine));
}

describe('openStore URL errors', () => {
  for (const url of ['', 'mysql://h/db', 'sqlite:', 'postgres://h/db?schema=Bad-Name', 'postgres://']) {
    it(`rejects ${JSON.stringify(url)} with BadRequest`, async () => {
      await assert.rejects(openStore(url), BadRequest);
    });
  }
});

function storeSuite(engine: EngineCase): void {
  let store: Store;
  let rootId: string;

  before(async () => {
    store = await openStore(engine.url);
    rootId = newId();
    await insertCa(store.db, caRow({ id: rootId }));
  });

  after(async () => {
    await store?.close();
    await engine.cleanup();
  });

  it('runs migrations once: opening again applies nothing twice', async () => {
    const again = await openStore(engine.url);
    await again.close();
    const third = await openStore(engine.url);
    try {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(third.db);
      assert.deepEqual(rows.map((r) => r.name), Object.keys(createMigrations(third.engine)));
      assert.ok(rows.length >= 3, 'every migration recorded once');
    } finally {
      await third.close();
    }
  });

  it('round-trips CAs with binary columns byte for byte', async () => {
    const issuing = caRow({ parent_id: rootId, kind: 'issuing', certificate_der: ALL_BYTES, encrypted_key: ALL_BYTES, key_ref: 'sw:1' });
    await insertCa(store.db, issuing);
    const got = await getCa(store.db, issuing.id);
    assert.ok(got && Buffer.isBuffer(got.certificate_der) && Buffer.isBuffer(got.encrypted_key));
    assert.deepEqual(got, issuing);
    assert.deepEqual(await getCaByName(store.db, issuing.name), issuing);
    const root = await getCa(store.db, rootId);
    assert.equal(root?.encrypted_key, null);
    assert.deepEqual((await listCas(store.db)).map((c) => c.id).sort(), [rootId, issuing.id].sort());
    const retired = await updateCa(store.db, issuing.id, { status: 'retired' });
    assert.equal(retired?.status, 'retired');
    assert.ok(retired.certificate_der.equals(ALL_BYTES));
    assert.equal(await updateCa(store.db, newId(), { status: 'retired' }), undefined);
  });

  it('rejects a CA whose parent does not exist (foreign keys are on)', async () => {
    await assert.rejects(insertCa(store.db, caRow({ parent_id: newId() })), (err) => !isUniqueViolation(err));
  });

  it('upserts profiles, keeping created_at and replacing the JSON definition', async () => {
    const first = await upsertProfile(store.db, { name: 'device-tls', definition: '{"days":365}', now: NOW });
    assert.deepEqual(first, { name: 'device-tls', definition: '{"days":365}', created_at: NOW, updated_at: NOW });
    const later = '2025-07-01T00:00:00.000Z';
    const definition = JSON.stringify({ days: 90, sans: ['dns:*.fleet.example'], note: 'ünïcode' });
    const second = await upsertProfile(store.db, { name: 'device-tls', definition, now: later });
    assert.deepEqual(second, { name: 'device-tls', definition, created_at: NOW, updated_at: later });
    assert.deepEqual(JSON.parse((await getProfile(store.db, 'device-tls'))!.definition), JSON.parse(definition));
    await upsertProfile(store.db, { name: 'a-first', definition: '{}', now: NOW });
    assert.deepEqual((await listProfiles(store.db)).map((p) => p.name), ['a-first', 'device-tls']);
    assert.equal(await deleteProfile(store.db, 'a-first'), true);
    assert.equal(await deleteProfile(store.db, 'a-first'), false);
    assert.equal(await getProfile(store.db, 'a-first'), undefined);
  });

  it('round-trips devices and refuses a duplicate external serial', async () => {
    const device = deviceRow({ site: null });
    await insertDevice(store.db, device);
    assert.deepEqual(await getDevice(store.db, device.id), device);
    assert.deepEqual(await getDeviceBySerial(store.db, device.external_serial), device);
    const updated = await updateDevice(store.db, device.id, { status: 'active', updated_at: '2025-06-02T00:00:00.000Z' });
    assert.deepEqual(updated, { ...device, status: 'active', updated_at: '2025-06-02T00:00:00.000Z' });
    assert.deepEqual(JSON.parse(updated!.metadata), { rack: 4, tags: ['a', 'b'] });
    assert.equal(await updateDevice(store.db, newId(), { status: 'active' }), undefined);
    await assert.rejects(insertDevice(store.db, deviceRow({ external_serial: device.external_serial })), isUniqueViolation);
  });

  it('round-trips certificates and refuses a duplicate serial per issuer only', async () => {
    const cert = certificateRow(rootId, { der: ALL_BYTES, serial_hex: '00ff10' });
    await insertCertificate(store.db, cert);
    const got = await getCertificate(store.db, cert.id);
    assert.ok(got && Buffer.isBuffer(got.der));
    assert.deepEqual(got, cert);
    assert.deepEqual(await getCertificateBySerial(store.db, rootId, '00FF10'), cert);
    const dup = certificateRow(rootId, { serial_hex: '00ff10' });
    await assert.rejects(insertCertificate(store.db, dup), isUniqueViolation);
    const otherCa = caRow();
    await insertCa(store.db, otherCa);
    await insertCertificate(store.db, certificateRow(otherCa.id, { serial_hex: '00ff10' }));
  });

  it('rejects a certificate of an unknown issuer, and that is no unique violation', async () => {
    await assert.rejects(insertCertificate(store.db, certificateRow(newId())), (err) => !isUniqueViolation(err));
  });

  it('round-trips API tokens, touches and revokes them once', async () => {
    const token = {
      id: newId(),
      name: 'ci',
      role: 'operator' as const,
      token_hash: 'ab'.repeat(32),
      created_at: NOW,
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
    };
    await insertToken(store.db, token);
    assert.deepEqual(await getTokenByHash(store.db, token.token_hash), token);
    await touchToken(store.db, token.id, '2025-06-03T00:00:00.000Z');
    assert.equal((await getToken(store.db, token.id))?.last_used_at, '2025-06-03T00:00:00.000Z');
    assert.equal(await revokeToken(store.db, token.id, '2025-06-04T00:00:00.000Z'), true);
    assert.equal(await revokeToken(store.db, token.id, '2025-06-05T00:00:00.000Z'), false);
    assert.equal((await getToken(store.db, token.id))?.revoked_at, '2025-06-04T00:00:00.000Z');
    assert.deepEqual((await listTokens(store.db)).map((t) => t.id), [token.id]);
    await assert.rejects(insertToken(store.db, { ...token, id: newId() }), isUniqueViolation);
  });

  it('round-trips audit rows with seq as a JS number', async () => {
    const event = {
      seq: 2 ** 40,
      at: NOW,
      actor: 'admin',
      action: 'ca.create',
      target: rootId,
      outcome: 'success' as const,
      details: '{"k":1}',
      prev_hash: '00'.repeat(32),
      hash: '11'.repeat(32),
    };
    await store.db.insertInto('audit_events').values(event).execute();
    await store.db.insertInto('audit_head').values({ id: 1, seq: event.seq, hash: event.hash }).execute();
    assert.deepEqual(await store.db.selectFrom('audit_events').selectAll().executeTakeFirst(), event);
    assert.deepEqual(await store.db.selectFrom('audit_head').selectAll().executeTakeFirst(), { id: 1, seq: 2 ** 40, hash: event.hash });
    await assert.rejects(store.db.insertInto('audit_events').values(event).execute(), isUniqueViolation);
  });

  it('searches devices with filters and pages through them without gaps or repeats', async () => {
    const rows = Array.from({ length: 25 }, (_, i) =>
      deviceRow({
        device_class: 'pager',
        environment: i % 5 === 0 ? 'lab' : 'prod',
        status: i < 3 ? 'suspended' : 'active',
        external_serial: `PG-${String(i).padStart(3, '0')}-${newId()}`,
        model: i === 7 ? 'Sensor 50%_Off' : 'Sensor',
      }),
    );
    for (const row of rows) await insertDevice(store.db, row);
    const seen = await collectPages((after) => searchDevices(store.db, { deviceClass: 'pager' }, { limit: 10, after }));
    assert.deepEqual(seen.map((p) => p.length), [10, 10, 5]);
    assert.deepEqual(seen.flat(), rows.map((r) => r.id).sort());

    const count = (f: DeviceFilter) => countDevices(store.db, { deviceClass: 'pager', ...f });
    assert.equal(await count({}), 25);
    assert.equal(await count({ environment: 'lab' }), 5);
    assert.equal(await count({ status: 'suspended' }), 3);
    assert.equal(await count({ q: 'pg-007' }), 1);
    assert.equal(await count({ q: '50%_' }), 1, 'LIKE wildcards in q are literal');
    assert.equal(await count({ q: '%' }), 1);
    const lab = await searchDevices(store.db, { deviceClass: 'pager', environment: 'lab' }, { limit: 5 });
    assert.equal(lab.items.length, 5);
    assert.equal(lab.nextCursor, null, 'an exactly full last page has no next cursor');
    await assert.rejects(searchDevices(store.db, {}, { limit: 0 }), BadRequest);
  });

  it('records a batch of certificates and answers expiry, status and paging questions', async () => {
    const device = deviceRow();
    await insertDevice(store.db, device);
    const rows = Array.from({ length: 250 }, (_, i) =>
      certificateRow(rootId, {
        device_id: device.id,
        profile: 'batch',
        not_after: i < 40 ? '2025-07-01T00:00:00.000Z' : '2026-07-01T00:00:00.000Z',
        created_at: `2025-06-01T12:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}Z`,
        sans: JSON.stringify([`dns:dev-${i}.fleet.example`]),
      }),
    );
    await insertCertificates(store.db, rows);
    const byDevice = { deviceId: device.id };
    assert.equal(await countCertificates(store.db, byDevice), 250);
    assert.equal(await countCertificates(store.db, { ...byDevice, expiringBefore: '2025-08-01T00:00:00.000Z' }), 40);
    assert.equal(await countCertificates(store.db, { ...byDevice, expiringAfter: '2025-08-01T00:00:00.000Z' }), 210);
    assert.equal(await countCertificates(store.db, { profile: 'batch', q: 'DEV-17.FLEET' }), 1);
    assert.equal(await countCertificates(store.db, { serial: rows[5].serial_hex.toUpperCase() }), 1);

    const pages = await collectPages((after) => searchCertificates(store.db, byDevice, { limit: 100, after }));
    assert.deepEqual(pages.map((p) => p.length), [100, 100, 50]);
    assert.deepEqual(pages.flat(), rows.map((r) => r.id).sort());

    const newest = await listCertificatesForDevice(store.db, device.id);
    const expected = [...rows].sort((a, b) => (b.created_at > a.created_at ? 1 : b.created_at < a.created_at ? -1 : 0));
    assert.equal(newest[0].id, expected[0].id);
    assert.ok(newest.every((c, i) => i === 0 || newest[i - 1].created_at >= c.created_at));
  });

  it('rolls back a whole batch when one row is a duplicate', async () => {
    const before = await countCertificates(store.db, {});
    const rows = Array.from({ length: 150 }, () => certificateRow(rootId));
    rows[149] = { ...rows[149], serial_hex: rows[0].serial_hex };
    await assert.rejects(insertCertificates(store.db, rows), isUniqueViolation);
    assert.equal(await countCertificates(store.db, {}), before);
  });

  it('works inside a transaction: a failure rolls back every repository call', async () => {
    const device = deviceRow();
    const cert = certificateRow(rootId, { device_id: device.id });
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await insertDevice(trx, device);
        await insertCertificates(trx, [cert]);
        assert.ok(await getCertificate(trx, cert.id));
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(await getDevice(store.db, device.id), undefined);
    assert.equal(await getCertificate(store.db, cert.id), undefined);
  });

  it('updates status and counts certificates by status', async () => {
    const cert = certificateRow(rootId);
    await insertCertificate(store.db, cert);
    const before = await countCertificatesByStatus(store.db);
    const change = { status: 'revoked' as const, revocation_reason: 'keyCompromise', revoked_at: NOW };
    assert.equal(await updateCertificateStatus(store.db, cert.id, change), true);
    assert.equal(await updateCertificateStatus(store.db, newId(), change), false);
    assert.deepEqual(await getCertificate(store.db, cert.id), { ...cert, ...change });
    const counts = await countCertificatesByStatus(store.db);
    assert.equal(typeof counts.on_hold, 'number');
    assert.deepEqual(counts, { ...before, valid: before.valid - 1, revoked: before.revoked + 1 });
  });
}

/** Follows nextCursor to the end and returns the ids of each page. */
async function collectPages(
  fetch: (after: string | undefined) => Promise<{ items: { id: string }[]; nextCursor: string | null }>,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  do {
    const page = await fetch(after);
    pages.push(page.items.map((i) => i.id));
    after = page.nextCursor ?? undefined;
  } while (after !== undefined && pages.length < 100);
  return pages;
}
