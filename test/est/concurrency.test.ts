// A one-time token that several requests race for yields exactly one certificate: the token
// is marked used in the transaction that records the certificate, under a condition only
// one transaction can meet, whatever the group commit batches together.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { enroll } from '../../src/app/enrollment.ts';
import { listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { device, httpsPost, openEstFleet, opensslCsr, token, type EstFleet } from './harness.ts';

let fleet: EstFleet;
before(async () => {
  fleet = await openEstFleet();
});
after(() => fleet.close());

test('eight concurrent enrolments with one bootstrap token: one certificate, seven 401s', async () => {
  const d = await device(fleet);
  const secret = await token(fleet, d.id);
  const csr = readFileSync((await opensslCsr(fleet, `/CN=${d.id}`)).b64File, 'utf8');
  const auth = { authorization: `Basic ${Buffer.from(`device:${secret}`).toString('base64')}` };
  const results = await Promise.all(Array.from({ length: 8 }, () => httpsPost(fleet, '/sensor/simpleenroll', csr, auth)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401, 401, 401], results.map((r) => r.body).join(''));
  for (const r of results.filter((r) => r.status === 401)) assert.match(r.body, /already used|used or expired meanwhile/);
  assert.equal((await listCertificatesForDevice(fleet.ctx.db, d.id)).length, 1);
  const used = await fleet.ctx.db.selectFrom('audit_events').select('actor').where('action', '=', 'bootstrap-token.use').where('target', 'like', 'bootstrap-token:%').execute();
  assert.equal(used.filter((e) => e.actor.startsWith('est:token:')).length, 1);
});

test('requests that all pass the early token check still yield one certificate: the recording transaction decides', async () => {
  const d = await device(fleet);
  const secret = await token(fleet, d.id);
  const csr = readFileSync((await opensslCsr(fleet, `/CN=${d.id}`)).derFile);
  const request = { operation: 'simpleenroll' as const, label: null, credentials: { secret, clientChain: [] }, now: new Date() };
  // In one process the eight checks all run before the first certificate is recorded.
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => enroll(fleet.ctx, request, csr)));
  const refusals = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason.message));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  assert.deepEqual(refusals, Array(7).fill('this bootstrap token was used or expired meanwhile; no certificate was issued'));
  assert.equal((await listCertificatesForDevice(fleet.ctx.db, d.id)).length, 1);
});
