// Bad input is data: test/fixtures/bad-csr/ holds requests named for what is wrong with them
// (regenerate with test/fixtures/make-bad-csrs.sh). Each one must be refused with a typed
// error that names the problem, leave no certificate behind, and be an audit event.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importRoot } from '../../src/app/cas.ts';
import { issueFromCsr, type IssueInput } from '../../src/app/certificates.ts';
import { createDevice, decommissionDevice, getDevice, suspendDevice } from '../../src/app/devices.ts';
import { putProfile } from '../../src/app/profiles.ts';
import { BadRequest, NotFound, PolicyDenied, type FleetPkiError } from '../../src/errors.ts';
import { newId } from '../../src/ids.ts';
import { getCaByName } from '../../src/store/repos/cas.ts';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';
import { pemOf } from '../helpers/openssl.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'bad-csr');

type ErrorClass = typeof BadRequest | typeof PolicyDenied | typeof NotFound;

/**
 * What each fixture must produce, tried against the gateway profile (EC and RSA keys,
 * dns:*.gateways.fleet.internal on request). BadRequest: the bytes are not a request whose
 * proof of possession fleetpki can check. PolicyDenied: a well-formed request that policy
 * refuses (weak or unsupported key, a name outside the profile).
 */
const EXPECTED: Record<string, { error: ErrorClass; message: RegExp }> = {
  'empty.csr': { error: BadRequest, message: /empty CSR/ },
  'truncated.der.csr': { error: BadRequest, message: /truncated DER/ },
  'trailing-garbage.der.csr': { error: BadRequest, message: /unexpected bytes after the DER object/ },
  'garbage.pem.csr': { error: BadRequest, message: /DER|not a PKCS#10/ },
  'not-base64.pem.csr': { error: BadRequest, message: /not valid base64/ },
  'certificate-not-csr.pem.csr': { error: BadRequest, message: /expected a CERTIFICATE REQUEST block/ },
  'bad-signature.der.csr': { error: BadRequest, message: /signature does not verify/ },
  'point-not-on-curve.der.csr': { error: BadRequest, message: /public key cannot be decoded/ },
  // A SHA-1 signature is no proof of possession fleetpki accepts.
  'sha1-signature.pem.csr': { error: BadRequest, message: /SHA-1/ },
  'oversized.pem.csr': { error: BadRequest, message: /larger than 16384 bytes/ },
  'san-not-der.pem.csr': { error: BadRequest, message: /subjectAltName|subject alternative name/i },
  'san-othername.pem.csr': { error: BadRequest, message: /unsupported subject alternative name type/ },
  'rsa-1024.pem.csr': { error: PolicyDenied, message: /RSA key of 1024 bits is too weak/ },
  'secp256k1.pem.csr': { error: PolicyDenied, message: /secp256k1/ },
  'ed448.pem.csr': { error: PolicyDenied, message: /ed448/ },
  'ed25519-not-allowed-for-gateway.pem.csr': { error: PolicyDenied, message: /key type ed25519 is not allowed by profile gateway/ },
  'san-not-allowed.pem.csr': { error: PolicyDenied, message: /SAN dns:evil\.example\.com is not allowed by profile gateway/ },
  'san-two-labels-for-wildcard.pem.csr': { error: PolicyDenied, message: /SAN dns:a\.b\.gateways\.fleet\.internal is not allowed/ },
  'san-ip-not-allowed.pem.csr': { error: PolicyDenied, message: /SAN ip:10\.0\.0\.1 is not allowed/ },
  'san-wildcard.pem.csr': { error: PolicyDenied, message: /SAN dns:\*\.gateways\.fleet\.internal is a wildcard name/ },
};

async function certificateCount(fleet: TestFleet): Promise<number> {
  const row = await fleet.ctx.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function lastSeq(fleet: TestFleet): Promise<number> {
  const row = await fleet.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** Issues, expects the refusal, and checks that nothing was issued and the refusal was audited. */
async function expectRefusal(fleet: TestFleet, input: IssueInput, error: ErrorClass, message: RegExp): Promise<FleetPkiError> {
  const certificatesBefore = await certificateCount(fleet);
  const seqBefore = await lastSeq(fleet);
  let caught: unknown;
  try {
    await issueFromCsr(fleet.ctx, input, 'test:bad-input');
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, 'the request was refused');
  assert.ok(caught instanceof error, `expected ${error.name}, got ${(caught as Error).constructor.name}: ${(caught as Error).message}`);
  assert.match(caught.message, message);
  assert.equal(await certificateCount(fleet), certificatesBefore, 'no certificate row was added');
  const events = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', seqBefore).orderBy('seq').execute();
  assert.equal(events.length, 1, 'exactly one audit event: the refusal');
  const [event] = events;
  assert.deepEqual(
    { action: event.action, outcome: event.outcome, actor: event.actor, target: event.target },
    { action: 'certificate.issue', outcome: 'refused', actor: 'test:bad-input', target: `device:${input.deviceId}` },
  );
  assert.deepEqual(JSON.parse(event.details), { code: caught.code, reason: caught.message });
  return caught;
}

describe('bad input is refused, typed, audited, and nothing is issued', () => {
  let fleet: TestFleet;
  let gateway: string;
  let goodCsr: string;

  before(async () => {
    fleet = await openTestFleet();
    gateway = (await createDevice(fleet.ctx, { externalSerial: 'BAD-INPUT-GW', deviceClass: 'gateway', environment: 'production' }, 'test')).id;
    goodCsr = opensslCsr(fleet.dir, 'ec-p256').pem;
  });
  after(() => fleet?.close());

  it('every fixture in test/fixtures/bad-csr has an expectation, and every expectation a fixture', () => {
    assert.deepEqual(readdirSync(FIXTURES).sort(), Object.keys(EXPECTED).sort());
  });

  describe('test/fixtures/bad-csr/*, against the gateway profile', () => {
    for (const file of readdirSync(FIXTURES).sort()) {
      const expected = EXPECTED[file];
      it(file, { skip: !expected && 'no expectation (see the test above)' }, async () => {
        const bytes = readFileSync(join(FIXTURES, file));
        // PEM arrives as text from most front ends, DER as bytes.
        const csr = file.includes('.pem.') ? bytes.toString('utf8') : bytes;
        await expectRefusal(fleet, { csr, profile: 'gateway', deviceId: gateway }, expected.error, expected.message);
      });
    }
  });

  it('the device refused every time is still only registered', async () => {
    assert.equal((await getDevice(fleet.ctx, gateway)).status, 'registered');
  });

  it('a good request for the same device is issued (the refusals are not the fixture setup failing)', async () => {
    const cert = await issueFromCsr(fleet.ctx, { csr: goodCsr, profile: 'gateway', deviceId: gateway }, 'test');
    assert.equal(cert.device_id, gateway);
  });

  it('an unknown profile', async () => {
    await expectRefusal(fleet, { csr: goodCsr, profile: 'no-such-profile', deviceId: gateway }, BadRequest, /unknown profile no-such-profile/);
  });

  it('an unknown device', async () => {
    const id = newId();
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: id }, NotFound, new RegExp(`no device with id ${id}`));
  });

  it('a suspended device', async () => {
    const device = await createDevice(fleet.ctx, { externalSerial: 'BAD-INPUT-SUSPENDED', deviceClass: 'gateway', environment: 'production' }, 'test');
    await suspendDevice(fleet.ctx, device.id, 'test');
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: device.id }, PolicyDenied, /is suspended/);
  });

  it('a decommissioned device, also after it held a certificate', async () => {
    const device = await createDevice(fleet.ctx, { externalSerial: 'BAD-INPUT-RETIRED', deviceClass: 'gateway', environment: 'production' }, 'test');
    const old = await issueFromCsr(fleet.ctx, { csr: goodCsr, profile: 'gateway', deviceId: device.id }, 'test');
    await decommissionDevice(fleet.ctx, device.id, 'retired', 'test');
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: device.id }, PolicyDenied, /decommissioned/);
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: device.id, replaces: old.id }, PolicyDenied, /decommissioned/);
  });

  it('a device decommissioned while its certificate is signed ends with no valid certificate', async () => {
    // Issuance and decommission race; whichever wins, a decommissioned device holds nothing valid.
    const outcomes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const device = await createDevice(fleet.ctx, { externalSerial: `BAD-INPUT-RACE-${i}`, deviceClass: 'gateway', environment: 'production' }, 'test');
      const issuing = issueFromCsr(fleet.ctx, { csr: goodCsr, profile: 'gateway', deviceId: device.id }, 'test').then(
        () => 'issued, then revoked',
        (error: Error) => {
          assert.ok(error instanceof PolicyDenied, `${error}`);
          return 'refused';
        },
      );
      await new Promise((resolve) => setTimeout(resolve, i % 4));
      await decommissionDevice(fleet.ctx, device.id, 'compromised', 'test');
      outcomes.add(await issuing);
      const held = await fleet.ctx.db.selectFrom('certificates').select(['status', 'revocation_reason']).where('device_id', '=', device.id).execute();
      for (const cert of held) assert.deepEqual(cert, { status: 'revoked', revocation_reason: 'keyCompromise' });
      assert.equal((await getDevice(fleet.ctx, device.id)).status, 'decommissioned');
    }
    assert.ok(outcomes.size > 0);
  });

  it("a renewal that names another device's certificate, or one that does not exist", async () => {
    const other = await createDevice(fleet.ctx, { externalSerial: 'BAD-INPUT-OTHER', deviceClass: 'gateway', environment: 'production' }, 'test');
    const theirs = await issueFromCsr(fleet.ctx, { csr: goodCsr, profile: 'gateway', deviceId: other.id }, 'test');
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: gateway, replaces: theirs.id }, BadRequest, /belongs to another device/);
    const missing = newId();
    await expectRefusal(fleet, { csr: goodCsr, profile: 'gateway', deviceId: gateway, replaces: missing }, NotFound, new RegExp(`${missing} to be replaced does not exist`));
  });

  it("a request for another device's identity URI", async () => {
    const sensor = await createDevice(fleet.ctx, { externalSerial: 'BAD-INPUT-SENSOR', deviceClass: 'sensor', environment: 'production' }, 'test');
    const victim = newId();
    const csr = opensslCsr(fleet.dir, 'ec-p256', { sans: [`URI:urn:fleetpki:device:${victim}`] }).pem;
    await expectRefusal(fleet, { csr, profile: 'sensor', deviceId: sensor.id }, PolicyDenied, new RegExp(`SAN uri:urn:fleetpki:device:${victim} is not allowed by profile sensor`));
  });

  it('device metadata a URI or email SAN cannot hold (IA5String is ASCII) is refused, not mangled', async () => {
    await putProfile(
      fleet.ctx,
      {
        name: 'site-uri',
        ca: 'devices-production',
        keys: { allowed: ['ec-p256'] },
        validity: '1d',
        subject: { CN: '{{device.id}}' },
        san: { templates: ['uri:urn:site:{{meta.site}}', 'email:{{meta.contact}}'] },
        keyUsage: ['digitalSignature'],
      },
      'test',
    );
    for (const [metadata, message] of [
      [{ site: '東京-Zürich', contact: 'ops@example.com' }, /"urn:site:東京-Zürich" is not a URI/],
      [{ site: 'tokyo', contact: 'jörg@example.com' }, /"jörg@example.com" is not an email address/],
    ] as const) {
      const device = await createDevice(fleet.ctx, { externalSerial: `BAD-INPUT-META-${metadata.site}-${metadata.contact}`, deviceClass: 'sensor', environment: 'production', metadata }, 'test');
      await expectRefusal(fleet, { csr: goodCsr, profile: 'site-uri', deviceId: device.id }, BadRequest, message);
    }
  });

  it('a profile limited to other device classes, and a profile that points at the root CA', async () => {
    const base = {
      keys: { allowed: ['ec-p256'] },
      validity: '1d',
      subject: { CN: '{{device.id}}' },
      keyUsage: ['digitalSignature'],
    };
    await putProfile(fleet.ctx, { ...base, name: 'meters-only', ca: 'devices-production', deviceClasses: ['meter'] }, 'test');
    await expectRefusal(fleet, { csr: goodCsr, profile: 'meters-only', deviceId: gateway }, PolicyDenied, /not for device class gateway/);
    await putProfile(fleet.ctx, { ...base, name: 'from-the-root', ca: 'fleet-root' }, 'test');
    await expectRefusal(fleet, { csr: goodCsr, profile: 'from-the-root', deviceId: gateway }, PolicyDenied, /fleet-root, a root CA/);
  });
});

describe('a device outside the profile\'s environments, or a name carrying its serial, over REST: 422, audited, nothing issued', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
    // Privacy with names a device may request: the one way a requested SAN can carry its serial.
    const put = await api.call('PUT', '/api/v1/profiles/private-gateway', {
      body: {
        ca: 'devices-production',
        keys: { allowed: ['ec-p256'] },
        validity: '1d',
        subject: { O: 'fleetpki', OU: '{{meta.asset}}', CN: '{{device.id}}' },
        san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'], allowRequested: ['dns:*.gateways.fleet.internal'] },
        keyUsage: ['digitalSignature'],
        privacy: true,
        environments: ['production'],
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().environments, ['production']);
  });
  after(() => api?.close());

  const csr = (sans?: string[]) => opensslCsr(api.fleet.dir, 'ec-p256', { sans }).pem;

  /** POSTs the request and expects a 422 naming the reason, one refusal event with that reason, and no certificate. */
  async function refused(body: { csr: string; profile: string; deviceId: string }, message: RegExp): Promise<void> {
    const certificates = await api.certificateCount();
    const response = await api.call('POST', '/api/v1/certificates', { body });
    assert.equal(response.statusCode, 422, response.body);
    const error = errorOf(response);
    assert.equal(error.code, 'policy_denied');
    assert.match(error.message, message);
    assert.equal(await api.certificateCount(), certificates, 'no certificate row');
    const [event] = await api.audit({ action: 'certificate.issue', outcome: 'refused' });
    assert.deepEqual({ target: event.target, reason: event.details.reason }, { target: `device:${body.deviceId}`, reason: error.message });
    assert.equal((await getDevice(api.fleet.ctx, body.deviceId)).status, 'registered');
  }

  const cases: Array<{ name: string; device: Record<string, unknown>; profile: string; sans?: string[]; message: RegExp }> = [
    { name: 'a lab device under sensor (the production CA)', device: { environment: 'lab' }, profile: 'sensor', message: /^profile sensor is not for devices in environment lab \(allowed: production\)$/ },
    { name: 'a production device under lab-sensor (the lab CA)', device: { environment: 'production' }, profile: 'lab-sensor', message: /^profile lab-sensor is not for devices in environment production \(allowed: lab\)$/ },
    { name: 'a lab gateway under gateway', device: { environment: 'lab', deviceClass: 'gateway' }, profile: 'gateway', message: /not for devices in environment lab \(allowed: production\)/ },
    { name: 'a lab server under tls-server', device: { environment: 'lab', deviceClass: 'broker' }, profile: 'tls-server', sans: ['DNS:localhost'], message: /not for devices in environment lab \(allowed: production, infrastructure\)/ },
    { name: 'a lab release signer under code-signing', device: { environment: 'lab', deviceClass: 'release-signer' }, profile: 'code-signing', message: /not for devices in environment lab \(allowed: production\)/ },
    {
      name: 'a requested SAN holding the serial, in another case, under a privacy profile',
      device: { externalSerial: 'GW-SERIAL-7731', deviceClass: 'gateway', metadata: { asset: 'pump' } },
      profile: 'private-gateway',
      sans: ['DNS:gw-serial-7731.gateways.fleet.internal'],
      message: /^profile private-gateway keeps device serial numbers out of certificates, but the SAN dns:gw-serial-7731\.gateways\.fleet\.internal contains the serial of device /,
    },
    {
      name: 'a {{meta.x}} value holding the serial, under a privacy profile',
      device: { externalSerial: 'GW-SERIAL-7732', deviceClass: 'gateway', metadata: { asset: 'pump GW-SERIAL-7732' } },
      profile: 'private-gateway',
      message: /^profile private-gateway keeps device serial numbers out of certificates, but the subject OU "pump GW-SERIAL-7732" contains the serial of device /,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const deviceId = await api.device(c.device);
      await refused({ csr: csr(c.sans), profile: c.profile, deviceId }, c.message);
    });
  }

  it('the same profiles issue to the devices they are for (the refusals are not the setup failing)', async () => {
    for (const [fields, profile, sans] of [
      [{ environment: 'lab' }, 'lab-sensor', undefined],
      [{ environment: 'production' }, 'sensor', undefined],
      [{ externalSerial: 'GW-SERIAL-7733', deviceClass: 'gateway', metadata: { asset: 'pump' } }, 'private-gateway', ['DNS:pump-3.gateways.fleet.internal']],
    ] as const) {
      const deviceId = await api.device(fields);
      const response = await api.call('POST', '/api/v1/certificates', { body: { csr: csr(sans ? [...sans] : undefined), profile, deviceId } });
      assert.equal(response.statusCode, 201, response.body);
    }
  });
});

describe('a root certificate to import that is bad input', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet();
  });
  after(() => fleet?.close());

  /** A self-signed certificate made by openssl with the given key and extensions. */
  const selfSigned = (newkey: string[], extensions: string[]) =>
    execFileSync(
      'openssl',
      ['req', '-x509', '-new', ...newkey, '-nodes', '-keyout', join(fleet.dir, 'import.key'), '-subj', '/O=Elsewhere/CN=Offline Root', '-days', '30', ...extensions.flatMap((e) => ['-addext', e])],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const ca = 'basicConstraints=critical,CA:TRUE';

  const cases: Array<{ name: string; pem: () => string | Promise<string>; error: ErrorClass; message: RegExp }> = [
    { name: 'a subjectAltName whose value is not DER', pem: () => selfSigned(p256, [ca, '2.5.29.17=DER:01:02:03']), error: BadRequest, message: /malformed certificate/ },
    { name: 'not a CA certificate', pem: () => selfSigned(p256, ['basicConstraints=critical,CA:FALSE']), error: BadRequest, message: /not a CA certificate/ },
    {
      name: 'not self-signed (an issuing CA)',
      pem: async () => pemOf((await getCaByName(fleet.ctx.db, 'devices-production'))!.certificate_der),
      error: BadRequest,
      message: /must be self-signed/,
    },
    { name: 'a secp256k1 key', pem: () => selfSigned(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], [ca]), error: PolicyDenied, message: /unsupported elliptic curve secp256k1/ },
    { name: 'not PEM or DER', pem: () => 'a root certificate, trust me', error: BadRequest, message: /neither PEM nor DER/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const pem = await c.pem();
      const casBefore = (await fleet.ctx.db.selectFrom('cas').select('id').execute()).length;
      const seqBefore = await lastSeq(fleet);
      await assert.rejects(importRoot(fleet.ctx, 'offline-root', pem, 'test:bad-input'), (error: unknown) => {
        assert.ok(error instanceof c.error, `expected ${c.error.name}, got ${error}`);
        assert.match(error.message, c.message);
        return true;
      });
      assert.equal((await fleet.ctx.db.selectFrom('cas').select('id').execute()).length, casBefore, 'no CA row was added');
      const events = await fleet.ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', seqBefore).execute();
      assert.deepEqual(events.map((e) => `${e.action} ${e.outcome} ${e.target}`), ['ca.import refused ca:offline-root']);
    });
  }

  it('a good offline root imports (the cases above are not the setup failing)', async () => {
    const view = await importRoot(fleet.ctx, 'offline-root', selfSigned(p256, [ca, 'keyUsage=critical,keyCertSign,cRLSign']), 'test');
    assert.deepEqual({ kind: view.kind, hasKey: view.hasKey, subject: view.subject }, { kind: 'root', hasKey: false, subject: 'O=Elsewhere, CN=Offline Root' });
  });
});
