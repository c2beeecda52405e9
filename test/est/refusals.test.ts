// Every refusal of the EST front end, as a client sees it: the HTTP status, a readable
// text/plain line saying why, no certificate issued, and the refusal in the audit log.

import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { releaseCertificate, revokeCertificate } from '../../src/app/certificates.ts';
import { decommissionDevice, reactivateDevice, suspendDevice, updateDevice } from '../../src/app/devices.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { putProfile } from '../../src/app/profiles.ts';
import { issueIdevid } from '../../src/factory/idevid.ts';
import { createManufacturerCa } from '../../src/factory/manufacturer-ca.ts';
import { listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { sequence, tlv, TAG } from '../../src/x509/der.ts';
import { oidDer, signatureScheme, classifyPublicKey } from '../../src/x509/keys.ts';
import { encodeName } from '../../src/x509/name.ts';
import { toPem } from '../../src/x509/pem.ts';
import { auditOf, countCertificates, curl, device, makeManufacturer, openEstFleet, openssl, opensslCsr, postCsr, printCerts, token, unique, writeText, type CurlResult, type EstFleet } from './harness.ts';

let fleet: EstFleet;
before(async () => {
  fleet = await openEstFleet();
});
after(() => fleet.close());

function assertRefused(res: CurlResult, status: number, message: RegExp): void {
  assert.equal(res.status, status, `${res.status} ${res.body}`);
  assert.match(res.headers, /content-type: text\/plain; charset=utf-8/i);
  assert.match(res.body, message);
  assert.equal(res.body.trim().split('\n').length, 1, 'one readable line');
}

/** Runs `attempt`, then checks nothing was issued and the refusal is in the audit log under `actor`. */
async function refusal(actor: string | null, attempt: () => Promise<CurlResult>, status: number, message: RegExp): Promise<CurlResult> {
  const before = await countCertificates(fleet);
  const seqBefore = Number((await fleet.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('s')).executeTakeFirst())?.s ?? 0);
  const res = await attempt();
  assertRefused(res, status, message);
  assert.equal(await countCertificates(fleet), before, 'nothing issued');
  const events = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', seqBefore).where('outcome', '=', 'refused').execute();
  assert.ok(events.length >= 1, 'the refusal is audited');
  if (actor) assert.ok(events.some((e) => e.actor === actor), `audited as ${actor}: ${events.map((e) => e.actor).join(', ')}`);
  return res;
}

const tokenIdOf = async (deviceId: string) => (await fleet.ctx.db.selectFrom('bootstrap_tokens').select('id').where('device_id', '=', deviceId).orderBy('created_at', 'desc').executeTakeFirstOrThrow()).id;

async function enrolled(): Promise<{ deviceId: string; certFile: string; keyFile: string; subject: string }> {
  const d = await device(fleet);
  const csr = await opensslCsr(fleet, `/CN=${d.id}`);
  const res = await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${await token(fleet, d.id)}`]);
  assert.equal(res.status, 200, res.body);
  const certFile = writeText(fleet, `${unique('cert')}.pem`, await printCerts(res.body));
  return { deviceId: d.id, certFile, keyFile: csr.keyFile, subject: `/O=fleetpki/OU=sensor/CN=${d.id}` };
}

describe('bootstrap token refusals', () => {
  test('no credential at all: 401 with a Basic challenge', async () => {
    const csr = await opensslCsr(fleet);
    const res = await refusal('est:anonymous', () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File), 401, /no credential: send a bootstrap token/);
    assert.match(res.headers, /www-authenticate: Basic realm="fleetpki EST"/i);
  });

  test('unknown token: 401', async () => {
    const csr = await opensslCsr(fleet);
    await refusal('est:token:unknown', () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', 'x:fpb_not-a-real-token']), 401, /unknown bootstrap token/);
  });

  test('second use of a token: 401, and the device keeps its one certificate', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    assert.equal((await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${secret}`])).status, 200);
    await refusal(`est:token:${await tokenIdOf(d.id)}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 401, /already used/);
    assert.equal((await listCertificatesForDevice(fleet.ctx.db, d.id)).length, 1);
  });

  test('expired token: 401', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const id = await tokenIdOf(d.id);
    await fleet.ctx.db.updateTable('bootstrap_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute();
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    await refusal(`est:token:${id}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 401, /expired/);
  });

  test('a token for one profile under another label: 403', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id, 'sensor');
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    await refusal(`est:token:${await tokenIdOf(d.id)}`, () => postCsr(fleet, '/gateway/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 403, /for profile sensor, not gateway/);
  });

  test('a CSR whose subject names another device: 403, and the token is not used up', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const other = await opensslCsr(fleet, '/CN=SN-SOMEONE-ELSE');
    await refusal(`est:token:${await tokenIdOf(d.id)}`, () => postCsr(fleet, '/sensor/simpleenroll', other.b64File, ['-u', `x:${secret}`]), 403, /CSR subject names CN=SN-SOMEONE-ELSE, but this credential is for device/);
    const own = await opensslCsr(fleet, `/CN=${d.external_serial}`);
    assert.equal((await postCsr(fleet, '/sensor/simpleenroll', own.b64File, ['-u', `x:${secret}`])).status, 200, 'a refused request does not burn the token');
  });

  test('a device decommissioned after its token was made: 403', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    await decommissionDevice(fleet.ctx, d.id, 'retired', 'test');
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    await refusal(`est:token:${await tokenIdOf(d.id)}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 403, /decommissioned/);
  });
});

describe('bad requests', () => {
  test('bad CSRs: 400 for what is not a verifiable request, 403 for a key the profile refuses', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const actor = `est:token:${await tokenIdOf(d.id)}`;
    const garbage = writeText(fleet, unique('garbage'), 'this is not base64 of anything!\n');
    await refusal(actor, () => postCsr(fleet, '/sensor/simpleenroll', garbage, ['-u', `x:${secret}`]), 400, /neither PEM nor DER/);
    const fixture = `${import.meta.dirname}/../fixtures/bad-csr/bad-signature.der.csr`;
    const b64 = writeText(fleet, unique('badsig'), readFileSync(fixture).toString('base64'));
    await refusal(actor, () => postCsr(fleet, '/sensor/simpleenroll', b64, ['-u', `x:${secret}`]), 400, /signature does not verify/);
    const rsa = await opensslCsr(fleet, `/CN=${d.id}`, [], ['-newkey', 'rsa:2048']);
    await refusal(actor, () => postCsr(fleet, '/sensor/simpleenroll', rsa.b64File, ['-u', `x:${secret}`]), 403, /key type rsa-2048 is not allowed by profile sensor/);
  });

  test('wrong content type 415, unknown label 404, wrong method 405, oversized body 413', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    const before = await countCertificates(fleet);
    assertRefused(await curl(fleet, '/sensor/simpleenroll', ['--data-binary', `@${csr.b64File}`, '-u', `x:${secret}`]), 415, /Content-Type: application\/pkcs10/);
    assertRefused(await postCsr(fleet, '/no-such-profile/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 404, /no EST label no-such-profile/);
    const get = await curl(fleet, '/sensor/simpleenroll');
    assertRefused(get, 405, /takes POST, not GET/);
    assert.match(get.headers, /allow: POST/i);
    // The server reads the rest of the body before answering, so the client always gets its
    // 413 instead of a reset connection (it raced before: curl "Send failure: Broken pipe").
    for (const size of [200_000, 1_000_000, 3_000_000]) {
      const big = writeText(fleet, unique('big'), 'A'.repeat(size));
      for (let i = 0; i < 3; i++) assertRefused(await postCsr(fleet, '/sensor/simpleenroll', big, ['-u', `x:${secret}`]), 413, /larger than this server accepts/);
    }
    assert.equal(await countCertificates(fleet), before, 'nothing issued');
  });

  test('serverkeygen with a request to encrypt the key (DecryptKeyIdentifier): 400, not a key sent in the clear', async () => {
    const d = await device(fleet);
    const secret = await token(fleet, d.id);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const decryptKeyId = sequence(oidDer('1.2.840.113549.1.9.16.2.37'), tlv(TAG.SET, tlv(TAG.OCTET_STRING, Buffer.from('kek-1'))));
    const info = sequence(tlv(TAG.INTEGER, Buffer.from([0])), encodeName([['CN', d.id]]), publicKey.export({ format: 'der', type: 'spki' }), tlv(TAG.CONTEXT_0, decryptKeyId));
    const scheme = signatureScheme(classifyPublicKey(publicKey));
    const der = sequence(info, scheme.algorithmDer, tlv(TAG.BIT_STRING, Buffer.from([0]), sign(scheme.digest, info, createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })))));
    const file = writeText(fleet, unique('enc'), der.toString('base64'));
    await refusal(`est:token:${await tokenIdOf(d.id)}`, () => postCsr(fleet, '/sensor/serverkeygen', file, ['-u', `x:${secret}`]), 400, /asks for the server-generated key to be encrypted/);
  });
});

describe('IDevID refusals', () => {
  test('a birth certificate of a manufacturer fleetpki does not know: 403', async () => {
    const stranger = await makeManufacturer(fleet);
    const d = await device(fleet);
    const idevid = await stranger.idevid(d.external_serial);
    const csr = await opensslCsr(fleet, `/CN=${d.external_serial}`);
    await refusal(`est:idevid:${d.external_serial}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]), 403, /not a valid birth certificate of a registered manufacturer: no trusted issuer/);
  });

  test('an IDevID of a registered manufacturer for a device not in the inventory: 403', async () => {
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const idevid = await maker.idevid('SN-UNREGISTERED');
    const csr = await opensslCsr(fleet, '/CN=SN-UNREGISTERED');
    await refusal('est:idevid:SN-UNREGISTERED', () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]), 403, /no device with serial number SN-UNREGISTERED is registered/);
    const anonymous = await maker.idevid(null);
    await refusal(null, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', anonymous.certFile, '--key', anonymous.keyFile]), 403, /has no serialNumber attribute/);
  });

  test('an IDevID enrolment without a label when est.defaultProfile is not set: 400', async () => {
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const d = await device(fleet);
    const idevid = await maker.idevid(d.external_serial);
    const csr = await opensslCsr(fleet, `/CN=${d.external_serial}`);
    await refusal(`est:idevid:${d.external_serial}`, () => postCsr(fleet, '/simpleenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]), 400, /no profile: enrol under a label/);
  });
});

describe('simplereenroll refusals', () => {
  test('a revoked certificate cannot renew itself: 403', async () => {
    const current = await enrolled();
    const [row] = await listCertificatesForDevice(fleet.ctx.db, current.deviceId);
    await revokeCertificate(fleet.ctx, row.id, 'keyCompromise', 'test');
    const csr = await opensslCsr(fleet, current.subject);
    await refusal(`est:cert:${row.serial_hex}`, () => postCsr(fleet, '/simplereenroll', csr.b64File, ['--cert', current.certFile, '--key', current.keyFile]), 403, /is revoked \(keyCompromise\); it cannot renew itself/);
  });

  test("someone else's identity: a CSR naming another device, 403", async () => {
    const mine = await enrolled();
    const theirs = await enrolled();
    const [row] = await listCertificatesForDevice(fleet.ctx.db, mine.deviceId);
    const csr = await opensslCsr(fleet, theirs.subject);
    await refusal(`est:cert:${row.serial_hex}`, () => postCsr(fleet, '/simplereenroll', csr.b64File, ['--cert', mine.certFile, '--key', mine.keyFile]), 403, /differs from the current certificate's/);
  });

  test('no client certificate, an IDevID, or a certificate from another CA: 403', async () => {
    const csr = await opensslCsr(fleet, '/CN=x');
    await refusal('est:anonymous', () => postCsr(fleet, '/simplereenroll', csr.b64File, ['-u', 'x:fpb_whatever']), 403, /needs the current certificate as TLS client certificate/);
    const maker = await makeManufacturer(fleet);
    await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
    const idevid = await maker.idevid('SN-X');
    await refusal(null, () => postCsr(fleet, '/simplereenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]), 403, /was not issued by this fleetpki/);
  });

  test('simpleenroll with a fleetpki certificate and no token: 403, renewal has its own operation', async () => {
    const current = await enrolled();
    const csr = await opensslCsr(fleet, current.subject);
    await refusal(null, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', current.certFile, '--key', current.keyFile]), 403, /renews through simplereenroll/);
  });
});

test('a client repeating an unknown token is refused every time and audited once a minute, the repeats counted', async () => {
  const csr = await opensslCsr(fleet);
  const seq = await lastSeq();
  for (let i = 0; i < 20; i++) {
    const res = await postCsr(fleet, '/lab-sensor/simpleenroll', csr.b64File, ['-u', `x:fpb_guess-${i}`]);
    assertRefused(res, 401, /unknown bootstrap token/);
  }
  const events = (await eventsSince(seq)).filter((e) => e.actor === 'est:token:unknown');
  assert.equal(events.length, 1, 'one event for twenty refusals');
  assert.equal(events[0].target, 'profile:lab-sensor');
  assert.equal(events[0].details.from, '127.0.0.1');
  // Someone who can be named is audited every time: a known token used twice.
  const d = await device(fleet);
  const secret = await token(fleet, d.id);
  assert.equal((await postCsr(fleet, '/sensor/simpleenroll', (await opensslCsr(fleet, `/CN=${d.id}`)).b64File, ['-u', `x:${secret}`])).status, 200);
  const reuseSeq = await lastSeq();
  for (let i = 0; i < 3; i++) assertRefused(await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-u', `x:${secret}`]), 401, /already used/);
  assert.equal((await eventsSince(reuseSeq)).filter((e) => e.outcome === 'refused').length, 3);
});

test('audit: refusals carry the code and the reason a person reads', async () => {
  const events = await auditOf(fleet, 'est:token:unknown');
  assert.ok(events.some((e) => e.outcome === 'refused' && e.details.code === 'unauthorized' && e.details.reason === 'unknown bootstrap token'));
});

/** The newest audit event since `seq`, of `actor`: the refusal a test just caused. */
async function lastSeq(): Promise<number> {
  return Number((await fleet.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('s')).executeTakeFirst())?.s ?? 0);
}

async function eventsSince(seq: number) {
  return (await fleet.ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', seq).orderBy('seq').execute()).map((e) => ({ ...e, details: JSON.parse(e.details) }));
}

/** A device with an IDevID from a manufacturer CA fleetpki holds (`manufacturer create-ca`, `issue-idevid`), so recorded and revocable. */
async function heldIdevid(maker: string): Promise<{ deviceId: string; serial: string; certificateId: string; certFile: string; keyFile: string }> {
  const d = await device(fleet);
  const req = await opensslCsr(fleet, `/CN=${d.external_serial}`);
  const row = await issueIdevid(fleet.ctx, { ca: maker, serial: d.external_serial, csr: readFileSync(req.derFile) }, 'test');
  const certFile = writeText(fleet, `${unique('held-idevid')}.pem`, toPem(row.der, 'CERTIFICATE'));
  return { deviceId: d.id, serial: d.external_serial, certificateId: row.id, certFile, keyFile: req.keyFile };
}

describe('IDevIDs fleetpki signed: the inventory decides', () => {
  let maker: string;
  before(async () => {
    maker = unique('held');
    await createManufacturerCa(fleet.ctx, { name: maker, keyType: 'ec-p256', commonName: `${maker} IDevID CA`, organization: maker }, 'test');
  });

  const enrolWith = async (idevid: { certFile: string; keyFile: string; serial: string }) =>
    postCsr(fleet, '/sensor/simpleenroll', (await opensslCsr(fleet, `/CN=${idevid.serial}`)).b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]);

  test('a revoked IDevID: 403, audited, no LDevID', async () => {
    const idevid = await heldIdevid(maker);
    await revokeCertificate(fleet.ctx, idevid.certificateId, 'keyCompromise', 'test');
    const res = await refusal(`est:idevid:${idevid.serial}`, () => enrolWith(idevid), 403, /IDevID [0-9a-f]+ of held-[0-9a-f]+ is revoked \(keyCompromise\); it cannot enrol a device/);
    assert.doesNotMatch(res.headers, /fleetpki-renew-after/i);
    assert.deepEqual((await listCertificatesForDevice(fleet.ctx.db, idevid.deviceId)).map((c) => c.profile), [`idevid:${maker}`], 'only the birth certificate');
    const [event] = (await auditOf(fleet, `est:idevid:${idevid.serial}`)).filter((e) => e.outcome === 'refused');
    assert.equal(event.action, 'est.simpleenroll');
    assert.equal(event.details.code, 'forbidden');
  });

  test('an IDevID on hold: 403; released, it enrols', async () => {
    const idevid = await heldIdevid(maker);
    await revokeCertificate(fleet.ctx, idevid.certificateId, 'certificateHold', 'test');
    await refusal(`est:idevid:${idevid.serial}`, () => enrolWith(idevid), 403, /is on hold \(certificateHold\); release it before the device enrols with it/);
    await releaseCertificate(fleet.ctx, idevid.certificateId, 'test');
    const res = await enrolWith(idevid);
    assert.equal(res.status, 200, res.body);
  });

  test('an IDevID its CA signed but the inventory does not hold: 403', async () => {
    const idevid = await heldIdevid(maker);
    await fleet.ctx.db.deleteFrom('certificates').where('id', '=', idevid.certificateId).execute();
    await refusal(`est:idevid:${idevid.serial}`, () => enrolWith(idevid), 403, /is not in the inventory; fleetpki records every birth certificate its CAs sign/);
  });
});

describe('a device bound to its manufacturer', () => {
  test("another registered manufacturer's IDevID with the same serial: 403; its own manufacturer's enrols; an unbound device takes either", async () => {
    const [acme, rival] = [await makeManufacturer(fleet), await makeManufacturer(fleet)];
    const [acmeName, rivalName] = [unique('acme'), unique('rival')];
    await addManufacturer(fleet.ctx, acmeName, readFileSync(acme.caCert), 'test');
    await addManufacturer(fleet.ctx, rivalName, readFileSync(rival.caCert), 'test');
    const bound = await device(fleet, unique('SN'), { manufacturer: acmeName });
    const csr = await opensslCsr(fleet, `/CN=${bound.external_serial}`);
    const forged = await rival.idevid(bound.external_serial);
    await refusal(`est:idevid:${bound.external_serial}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', forged.certFile, '--key', forged.keyFile]), 403, new RegExp(`is bound to manufacturer ${acmeName}; this IDevID chains to manufacturer ${rivalName}`));
    const genuine = await acme.idevid(bound.external_serial);
    assert.equal((await postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', genuine.certFile, '--key', genuine.keyFile])).status, 200);

    const unbound = await device(fleet);
    const other = await rival.idevid(unbound.external_serial);
    const unboundCsr = await opensslCsr(fleet, `/CN=${unbound.external_serial}`);
    const res = await postCsr(fleet, '/sensor/simpleenroll', unboundCsr.b64File, ['--cert', other.certFile, '--key', other.keyFile]);
    assert.equal(res.status, 200, 'without a binding any registered manufacturer vouches for the serial, as documented');

    // Bound afterwards, the rival's IDevID no longer enrols it.
    await updateDevice(fleet.ctx, unbound.id, { manufacturer: acmeName }, 'test');
    await refusal(`est:idevid:${unbound.external_serial}`, () => postCsr(fleet, '/sensor/simpleenroll', unboundCsr.b64File, ['--cert', other.certFile, '--key', other.keyFile]), 403, /is bound to manufacturer/);
  });
});

test('an expired IDevID over TLS: 403 naming the expiry, nothing issued', async () => {
  const maker = await makeManufacturer(fleet);
  await addManufacturer(fleet.ctx, unique('maker'), readFileSync(maker.caCert), 'test');
  const d = await device(fleet);
  const idevid = await maker.idevid(d.external_serial, { expired: true });
  assert.match(await openssl(['x509', '-noout', '-enddate', '-in', idevid.certFile]), /notAfter=Dec 31 23:59:59 2020 GMT/);
  const csr = await opensslCsr(fleet, `/CN=${d.external_serial}`);
  await refusal(`est:idevid:${d.external_serial}`, () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['--cert', idevid.certFile, '--key', idevid.keyFile]), 403, /not a valid birth certificate of a registered manufacturer: certificate ".*serialNumber=.*" expired 2020-12-31T23:59:59\.000Z/);
});

describe('simplereenroll: what a current certificate cannot do', () => {
  const SHORT = 'short-sensor';
  before(async () => {
    await putProfile(fleet.ctx, { name: SHORT, ca: 'devices-production', keys: { allowed: ['ec-p256'] }, validity: '2s', subject: { O: 'fleetpki', CN: '{{device.id}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] }, 'test');
  });

  /** The certificate that renews, its key, its row, and a renewal CSR with its subject. */
  async function current(profile = 'sensor', subject = (id: string) => `/O=fleetpki/OU=sensor/CN=${id}`) {
    const d = await device(fleet);
    const csr = await opensslCsr(fleet, `/CN=${d.id}`);
    const res = await postCsr(fleet, `/${profile}/simpleenroll`, csr.b64File, ['-u', `x:${await token(fleet, d.id, profile)}`]);
    assert.equal(res.status, 200, res.body);
    const certFile = writeText(fleet, `${unique('cert')}.pem`, await printCerts(res.body));
    const [row] = await listCertificatesForDevice(fleet.ctx.db, d.id);
    return { device: d, row, certFile, keyFile: csr.keyFile, subject: subject(d.id), actor: `est:cert:${row.serial_hex}` };
  }

  const renew = async (c: { certFile: string; keyFile: string; subject: string }, path = '/simplereenroll', extra: string[] = []) =>
    postCsr(fleet, path, (await opensslCsr(fleet, c.subject, extra)).b64File, ['--cert', c.certFile, '--key', c.keyFile]);

  test('an expired certificate: 403, enrol again instead', async () => {
    const c = await current(SHORT, (id) => `/O=fleetpki/CN=${id}`);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(c.row.not_after) - Date.now() + 1100));
    await refusal(c.actor, () => renew(c), 403, /expired .*; an expired certificate cannot renew itself, enrol again/);
  });

  test('a certificate on hold: 403', async () => {
    const c = await current();
    await revokeCertificate(fleet.ctx, c.row.id, 'certificateHold', 'test');
    await refusal(c.actor, () => renew(c), 403, /is on hold \(certificateHold\); it cannot renew itself/);
  });

  test("under a label other than the certificate's profile: 403", async () => {
    const c = await current();
    await refusal(c.actor, () => renew(c, '/gateway/simplereenroll'), 403, /was issued under profile sensor; renew it under that label or none, not gateway/);
  });

  test('for a suspended device: 403, and reactivated it renews', async () => {
    const c = await current();
    await suspendDevice(fleet.ctx, c.device.id, 'test');
    await refusal(c.actor, () => renew(c), 403, /is suspended; reactivate it before issuing/);
    const [event] = (await auditOf(fleet, c.actor)).filter((e) => e.outcome === 'refused');
    assert.equal(event.action, 'certificate.issue');
    await reactivateDevice(fleet.ctx, c.device.id, 'test');
    assert.equal((await renew(c)).status, 200);
  });

  test('a renewal CSR asking for a SAN the current certificate lacks (one the profile would allow): 403', async () => {
    const c = await current('gateway', (id) => `/O=fleetpki/OU=gateway/CN=${id}/serialNumber=`);
    c.subject += c.device.external_serial;
    await refusal(c.actor, () => renew(c, '/simplereenroll', ['-addext', 'subjectAltName=DNS:extra.gateways.fleet.internal']), 403, /the CSR asks for dns:extra\.gateways\.fleet\.internal, which the current certificate does not have; a renewal keeps its names/);
    assert.equal((await renew(c)).status, 200, 'the same renewal without the extra name goes through');
  });
});

describe('refusals before the RA', () => {
  test('a malformed Authorization header or an empty Basic password: 401, audited as est:anonymous', async () => {
    const csr = await opensslCsr(fleet);
    const digest = await refusal('est:anonymous', () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-H', 'Authorization: Digest username="x"']), 401, /the Authorization header must be "Basic <user:token in base64>" or "Bearer <token>"/);
    assert.match(digest.headers, /www-authenticate: Basic realm="fleetpki EST"/i);
    await refusal('est:anonymous', () => postCsr(fleet, '/sensor/simpleenroll', csr.b64File, ['-H', `Authorization: Basic ${Buffer.from('device:').toString('base64')}`]), 401, /the HTTP Basic password is empty/);
    await refusal('est:anonymous', () => postCsr(fleet, '/sensor/serverkeygen', csr.b64File, ['-H', 'Authorization: Bearer']), 401, /must be "Basic/);
  });

  test('413 and 415 on an enrolment are audited; 404 and 405 ask for no certificate and are not', async () => {
    const csr = await opensslCsr(fleet);
    const big = writeText(fleet, unique('big'), 'A'.repeat(200_000));
    const seq = await lastSeq();
    assertRefused(await postCsr(fleet, '/sensor/simpleenroll', big), 413, /larger than this server accepts/);
    assertRefused(await curl(fleet, '/simplereenroll', ['--data-binary', `@${csr.b64File}`, '-H', 'Content-Type: application/json']), 415, /Content-Type: application\/pkcs10/);
    // The answer goes out before its audit event is written: wait for both events.
    let events = await eventsSince(seq);
    for (let i = 0; i < 50 && events.length < 2; i++) events = await new Promise((resolve) => setTimeout(resolve, 20)).then(() => eventsSince(seq));
    assert.deepEqual(
      events.map((e) => [e.actor, e.action, e.target, e.outcome, e.details.code, e.details.status]),
      [
        ['est:anonymous', 'est.simpleenroll', 'profile:sensor', 'refused', 'payload_too_large', 413],
        ['est:anonymous', 'est.simplereenroll', null, 'refused', 'unsupported_media_type', 415],
      ],
    );
    const after = await lastSeq();
    assertRefused(await postCsr(fleet, '/no-such-profile/simpleenroll', csr.b64File), 404, /no EST label no-such-profile/);
    assertRefused(await curl(fleet, '/sensor/simpleenroll'), 405, /takes POST, not GET/);
    assertRefused(await curl(fleet, '/no-such-operation'), 404, /no EST operation/);
    assert.equal(await lastSeq(), after, 'not audited');
  });
});

/**
 * test/fixtures/bad-csr/ through simpleenroll, as a device would send each (DER as base64,
 * PEM as is, which the server tolerates): 400 for what is not a verifiable request, 403 for a
 * well-formed one that policy refuses. The messages are those test/core/bad-input.test.ts
 * expects from the issuing path, against the same gateway profile.
 */
const BAD_CSRS: Record<string, { status: 400 | 403; message: RegExp }> = {
  'empty.csr': { status: 400, message: /empty CSR/ },
  'truncated.der.csr': { status: 400, message: /truncated DER/ },
  'trailing-garbage.der.csr': { status: 400, message: /unexpected bytes after the DER object/ },
  'garbage.pem.csr': { status: 400, message: /DER|not a PKCS#10/ },
  'not-base64.pem.csr': { status: 400, message: /not valid base64/ },
  'certificate-not-csr.pem.csr': { status: 400, message: /expected a CERTIFICATE REQUEST block/ },
  'bad-signature.der.csr': { status: 400, message: /signature does not verify/ },
  'point-not-on-curve.der.csr': { status: 400, message: /public key cannot be decoded/ },
  'sha1-signature.pem.csr': { status: 400, message: /SHA-1/ },
  'oversized.pem.csr': { status: 400, message: /larger than 16384 bytes/ },
  'san-not-der.pem.csr': { status: 400, message: /subjectAltName|subject alternative name/i },
  'san-othername.pem.csr': { status: 400, message: /unsupported subject alternative name type/ },
  'rsa-1024.pem.csr': { status: 403, message: /RSA key of 1024 bits is too weak/ },
  'secp256k1.pem.csr': { status: 403, message: /secp256k1/ },
  'ed448.pem.csr': { status: 403, message: /ed448/ },
  'ed25519-not-allowed-for-gateway.pem.csr': { status: 403, message: /key type ed25519 is not allowed by profile gateway/ },
  'san-not-allowed.pem.csr': { status: 403, message: /SAN dns:evil\.example\.com is not allowed by profile gateway/ },
  'san-two-labels-for-wildcard.pem.csr': { status: 403, message: /SAN dns:a\.b\.gateways\.fleet\.internal is not allowed/ },
  'san-ip-not-allowed.pem.csr': { status: 403, message: /SAN ip:10\.0\.0\.1 is not allowed/ },
  'san-wildcard.pem.csr': { status: 403, message: /SAN dns:\*\.gateways\.fleet\.internal is a wildcard name/ },
};

test('every fixture in test/fixtures/bad-csr through simpleenroll: 400 or 403, audited, nothing issued, the token not used up', async () => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'bad-csr');
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, Object.keys(BAD_CSRS).sort(), 'a new fixture needs its expected refusal here');
  // The fixtures' subject is CN=bad-input-device: the device is registered under that serial.
  const d = await device(fleet, 'bad-input-device', { deviceClass: 'gateway' });
  const secret = await token(fleet, d.id, 'gateway');
  const actor = `est:token:${await tokenIdOf(d.id)}`;
  for (const file of files) {
    const bytes = readFileSync(join(dir, file));
    const body = file.endsWith('.der.csr') ? writeText(fleet, unique('der-b64'), bytes.toString('base64')) : join(dir, file);
    const { status, message } = BAD_CSRS[file];
    await refusal(actor, () => postCsr(fleet, '/gateway/simpleenroll', body, ['-u', `x:${secret}`]), status, message).catch((error) => {
      throw new Error(`${file}: ${(error as Error).message}`);
    });
  }
  const good = await opensslCsr(fleet, '/CN=bad-input-device');
  assert.equal((await postCsr(fleet, '/gateway/simpleenroll', good.b64File, ['-u', `x:${secret}`])).status, 200, 'after all refusals the token still enrols');
});

test('a URL that is not valid %-encoding: 400 in text/plain, like an unknown path not audited', async () => {
  const csr = await opensslCsr(fleet);
  const seq = await lastSeq();
  assertRefused(await postCsr(fleet, '/bad%ZZlabel/simpleenroll', csr.b64File), 400, /the URL is not valid .*operations are \/\.well-known\/est/);
  assert.equal(await lastSeq(), seq);
});
