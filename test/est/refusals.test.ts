// Every refusal of the EST front end, as a client sees it: the HTTP status, a readable
// text/plain line saying why, no certificate issued, and the refusal in the audit log.

import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { decommissionDevice } from '../../src/app/devices.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { listCertificatesForDevice } from '../../src/store/repos/certificates.ts';
import { sequence, tlv, TAG } from '../../src/x509/der.ts';
import { oidDer, signatureScheme, classifyPublicKey } from '../../src/x509/keys.ts';
import { encodeName } from '../../src/x509/name.ts';
import { auditOf, countCertificates, curl, device, makeManufacturer, openEstFleet, opensslCsr, postCsr, printCerts, token, unique, writeText, type CurlResult, type EstFleet } from './harness.ts';

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
    const big = writeText(fleet, unique('big'), 'A'.repeat(200_000));
    assertRefused(await postCsr(fleet, '/sensor/simpleenroll', big, ['-u', `x:${secret}`]), 413, /larger than this server accepts/);
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

test('audit: refusals carry the code and the reason a person reads', async () => {
  const events = await auditOf(fleet, 'est:token:unknown');
  assert.ok(events.some((e) => e.outcome === 'refused' && e.details.code === 'unauthorized' && e.details.reason === 'unknown bootstrap token'));
});
