// The RA's decisions that need no network or store: which environments a profile serves,
// and a privacy profile keeping the device serial out of what approve() hands the CA,
// whichever way the serial arrives (a requested SAN, a metadata value, a device field).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { PolicyDenied } from '../../src/errors.ts';
import { approve } from '../../src/ra/approve.ts';
import { DEFAULT_PROFILES } from '../../src/ra/default-profiles.ts';
import { checkProfile, type Profile } from '../../src/ra/profile.ts';
import { deviceEnvironmentAllowed, STANDARD_VALIDATORS } from '../../src/ra/validators.ts';
import type { CasTable, DevicesTable } from '../../src/store/schema.ts';
import type { ParsedCsr } from '../../src/x509/csr.ts';
import { describeKeyType } from '../../src/x509/keys.ts';
import { formatSan, parseSan } from '../../src/x509/san.ts';

const DEVICE: DevicesTable = {
  id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  external_serial: 'SN-4711',
  model: 'TH-200',
  device_class: 'sensor',
  environment: 'production',
  site: 'plant-2',
  owner: 'ops@example.com',
  criticality: 'high',
  status: 'active',
  metadata: JSON.stringify({ asset: 'pump-3' }),
  manufacturer: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

const ISSUER = { id: 'ca-1', name: 'devices-production', kind: 'issuing', status: 'active', encrypted_key: Buffer.from('sealed') } as CasTable;

const profile = (fields: Record<string, unknown> = {}): Profile =>
  checkProfile({
    name: 'test-profile',
    ca: 'devices-production',
    keys: { allowed: ['ec-p256'] },
    validity: '30d',
    subject: { O: 'fleetpki', CN: '{{device.id}}' },
    san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'], allowRequested: ['dns:*.fleet.internal'] },
    keyUsage: ['digitalSignature'],
    ...fields,
  });

function approveFor(p: Profile, device: DevicesTable = DEVICE, requested: string[] = []) {
  const csr = { requestedSans: requested.map(parseSan), spkiDer: Buffer.from('spki'), key: describeKeyType('ec-p256') } as ParsedCsr;
  return approve({
    ctx: { csr, profile: p, device, issuer: ISSUER },
    issuerNotBefore: new Date('2025-01-01T00:00:00Z'),
    issuerNotAfter: new Date('2030-01-01T00:00:00Z'),
    now: new Date('2026-06-01T00:00:00Z'),
  });
}

const denied = (pattern: RegExp) => (error: unknown) => error instanceof PolicyDenied && pattern.test(error.message);

describe('profile environments', () => {
  it('a stored profile without environments serves any environment (older profiles keep working)', () => {
    const p = profile();
    assert.deepEqual(p.environments, []);
    for (const environment of ['production', 'lab', 'anything']) assert.doesNotThrow(() => approveFor(p, { ...DEVICE, environment }), environment);
  });

  it('a device of another environment is refused, naming its environment and the allowed ones', () => {
    const p = profile({ environments: ['production', 'staging'] });
    assert.doesNotThrow(() => approveFor(p));
    assert.doesNotThrow(() => approveFor(p, { ...DEVICE, environment: 'staging' }));
    assert.throws(() => approveFor(p, { ...DEVICE, environment: 'lab' }), (error: unknown) => {
      assert.ok(error instanceof PolicyDenied);
      assert.equal(error.message, 'profile test-profile is not for devices in environment lab (allowed: production, staging)');
      assert.deepEqual(error.details, { environment: 'lab', allowed: ['production', 'staging'] });
      return true;
    });
    // Names are compared exactly, like the inventory's environment filter.
    assert.throws(() => approveFor(p, { ...DEVICE, environment: 'Production' }), denied(/environment Production/));
  });

  it('is one of the standard validators, so every protocol applies it', () => {
    assert.ok(STANDARD_VALIDATORS.includes(deviceEnvironmentAllowed));
  });

  it('refuses an environment list that is not a list of names', () => {
    assert.throws(() => profile({ environments: 'production' }), /environments: /);
    assert.throws(() => profile({ environments: [''] }), /environments\.0: /);
  });

  it('each default profile serves the environments its CA is trusted in: the lab CA lab devices only, no other CA lab devices', () => {
    const cas = new Map(loadConfig({}, {}).hierarchy.issuing.map((ca) => [ca.name, ca]));
    for (const definition of DEFAULT_PROFILES) {
      const p = checkProfile(definition);
      assert.ok(cas.has(p.ca), `${p.name} issues from a CA init creates`);
      assert.ok(p.environments.length > 0, `${p.name} names its environments`);
      if (p.ca === 'devices-lab') assert.deepEqual(p.environments, ['lab'], p.name);
      else assert.ok(p.environments.includes('production') && !p.environments.includes('lab'), p.name);
    }
  });
});

describe('privacy at issuance', () => {
  const privacy = profile({ privacy: true, subject: { O: 'fleetpki', OU: '{{meta.asset}}', CN: '{{device.id}}' }, san: { templates: ['uri:urn:fleetpki:device:{{device.id}}', 'dns:{{device.site}}.fleet.internal'], allowRequested: ['dns:*.fleet.internal'] } });
  const withMeta = (metadata: Record<string, string>) => ({ ...DEVICE, metadata: JSON.stringify(metadata) });

  it('names without the serial are approved as rendered', () => {
    const approved = approveFor(privacy, DEVICE, ['dns:pump-3.fleet.internal']);
    assert.deepEqual(approved.subject, [['O', 'fleetpki'], ['OU', 'pump-3'], ['CN', DEVICE.id]]);
    assert.deepEqual(approved.sans.map(formatSan), [`uri:urn:fleetpki:device:${DEVICE.id}`, 'dns:plant-2.fleet.internal', 'dns:pump-3.fleet.internal']);
  });

  it('a requested SAN with the serial is refused, whatever its case', () => {
    assert.throws(() => approveFor(privacy, DEVICE, ['dns:sn-4711.fleet.internal']), denied(/^profile test-profile keeps device serial numbers out of certificates, but the SAN dns:sn-4711\.fleet\.internal contains the serial of device 0190a1b2-/));
  });

  it('a metadata value or device field with the serial is refused', () => {
    assert.throws(() => approveFor(privacy, withMeta({ asset: 'Pump sn-4711' })), denied(/the subject OU "Pump sn-4711" contains the serial/));
    assert.throws(() => approveFor(privacy, { ...DEVICE, site: 'SN-4711' }), denied(/the SAN dns:sn-4711\.fleet\.internal contains the serial/));
  });

  it('a serial that happens to occur in the device id is not a finding: the id is random, not the hardware serial', () => {
    assert.doesNotThrow(() => approveFor(privacy, { ...DEVICE, external_serial: 'A1B2' }));
    assert.throws(() => approveFor(privacy, { ...DEVICE, external_serial: 'A1B2' }, ['dns:a1b2.fleet.internal']), denied(/SAN dns:a1b2\.fleet\.internal contains the serial/));
  });

  it('without privacy the same names are approved', () => {
    const open = { ...privacy, privacy: false };
    assert.doesNotThrow(() => approveFor(open, withMeta({ asset: 'SN-4711' }), ['dns:sn-4711.fleet.internal']));
  });
});
