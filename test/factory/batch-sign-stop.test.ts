// A batch signing that meets an error which is not a refusal (here the database fails the
// second issuance) stops taking new CSRs, but still writes manifest.json and the batch.sign
// audit event for what it did issue, and then reports the error.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listAudit } from '../../src/app/audit.ts';
import { createDevice } from '../../src/app/devices.ts';
import { signBatch } from '../../src/factory/batch-sign.ts';
import { searchCertificates } from '../../src/store/repos/certificates.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

let fleet: TestFleet;
before(async () => (fleet = await openTestFleet()));
after(() => fleet?.close());

test('an unexpected error stops the batch; the manifest and the audit event still list what was issued', async () => {
  const { ctx } = fleet;
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-batch-stop-'));
  for (const serial of ['ST-1', 'ST-2', 'ST-3']) await createDevice(ctx, { externalSerial: serial, deviceClass: 'gateway', environment: 'production' }, 'test');
  const inputs = ['ST-1', 'ST-2', 'ST-3'].map((serial) => ({ name: `${serial}.csr`, bytes: Buffer.from(opensslCsr(dir, 'ec-p256', { subject: `/serialNumber=${serial}` }).pem) }));
  // One at a time, so the second ledger write is the second CSR's.
  const submit = ctx.ledger.submit.bind(ctx.ledger);
  let writes = 0;
  ctx.ledger.submit = ((work, audit) => (++writes === 2 ? Promise.reject(new Error('the database went away')) : submit(work, audit))) as typeof ctx.ledger.submit;
  const out = join(dir, 'out');
  try {
    await assert.rejects(signBatch(ctx, inputs, { profile: 'gateway', manifest: null, outDir: out, concurrency: 1 }, 'cli:test'), /the database went away/);
  } finally {
    ctx.ledger.submit = submit;
  }
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.signed.map((s: { csr: string }) => s.csr), ['ST-1.csr']);
  assert.deepEqual(manifest.failed.map((f: { csr: string; reason: string }) => [f.csr, f.reason]), [
    ['ST-2.csr', 'unexpected error: the database went away'],
    ['ST-3.csr', 'not attempted: the batch stopped after an unexpected error'],
  ]);
  assert.deepEqual(readdirSync(out).sort(), ['ST-1.pem', 'ca.pem', 'manifest.json'], 'no empty file is left for the CSR whose issuance failed');
  const recorded = await searchCertificates(ctx.db, { profile: 'gateway' }, { limit: 10 });
  assert.deepEqual(recorded.items.map((row) => row.id), [manifest.signed[0].certificateId]);
  const [event] = (await listAudit(ctx, { action: 'batch.sign' }, { limit: 1 })).items;
  assert.equal(event.outcome, 'error');
  assert.equal(event.details.error, 'the database went away');
  assert.equal(event.details.signed, 1);
  assert.deepEqual((event.details.failed as Array<{ csr: string }>).map((f) => f.csr), ['ST-2.csr', 'ST-3.csr']);
});
