// Profiles are the policy an operator writes: checkProfile must refuse a bad one with
// problems a person can act on, templates must render from the device, and requested names
// must match the profile's patterns exactly (a wildcard stands for one label, no more).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, PolicyDenied } from '../../src/errors.ts';
import { DEFAULT_PROFILES } from '../../src/ra/default-profiles.ts';
import { checkProfile, validitySeconds, type Profile } from '../../src/ra/profile.ts';
import { renderTemplate, templateFields } from '../../src/ra/templates.ts';
import { requestedNamesAllowed } from '../../src/ra/validators.ts';
import type { CasTable, DevicesTable } from '../../src/store/schema.ts';
import type { ParsedCsr } from '../../src/x509/csr.ts';
import { parseSan } from '../../src/x509/san.ts';

const GOOD = {
  name: 'good-profile',
  ca: 'devices-production',
  keys: { allowed: ['ec-p256'] },
  validity: '30d',
  subject: { O: 'fleetpki', CN: '{{device.id}}' },
  san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'] },
  keyUsage: ['digitalSignature'],
};

/** checkProfile's problems for a profile, or [] if it is accepted. */
function problems(input: unknown): string[] {
  try {
    checkProfile(input);
    return [];
  } catch (error) {
    assert.ok(error instanceof BadRequest, `expected BadRequest, got ${error}`);
    assert.match(error.message, /^invalid profile: /);
    const list = error.details?.problems as string[];
    assert.ok(Array.isArray(list) && list.length > 0);
    for (const problem of list) assert.ok(error.message.includes(problem), 'the message lists every problem');
    return list;
  }
}

function assertRefused(input: unknown, ...patterns: RegExp[]): void {
  const found = problems(input);
  assert.ok(found.length > 0, 'the profile was accepted');
  for (const pattern of patterns) assert.ok(found.some((p) => pattern.test(p)), `no problem matches ${pattern}: ${JSON.stringify(found)}`);
}

describe('checkProfile', () => {
  it('accepts a good profile and fills the defaults', () => {
    const profile = checkProfile(GOOD);
    assert.deepEqual(
      { renewAfter: profile.renewAfter, rsaMinBits: profile.keys.rsaMinBits, privacy: profile.privacy, deviceClasses: profile.deviceClasses, environments: profile.environments, extKeyUsage: profile.extKeyUsage, allowRequested: profile.san.allowRequested },
      { renewAfter: 0.66, rsaMinBits: 2048, privacy: false, deviceClasses: [], environments: [], extKeyUsage: [], allowRequested: [] },
    );
    assert.equal(validitySeconds(profile), 30 * 86_400);
    assert.equal((GOOD as { renewAfter?: number }).renewAfter, undefined, 'the input is not modified');
  });

  it('accepts every default profile', () => {
    for (const profile of DEFAULT_PROFILES) assert.deepEqual(problems(profile), [], profile.name);
  });

  it('refuses an unknown key family, naming the families it knows', () => {
    assertRefused({ ...GOOD, keys: { allowed: ['ec-p521'] } }, /^keys\.allowed\.0: .*ec-p256, ec-p384, ed25519, rsa/);
  });

  it('refuses a validity that is not a duration', () => {
    assertRefused({ ...GOOD, validity: 'abc' }, /^validity: "abc" is not a duration; write a number and s, m, h, d or y/);
    assertRefused({ ...GOOD, validity: '0d' }, /^validity: duration "0d" must be positive/);
    assertRefused({ ...GOOD, validity: '30 days' }, /^validity: "30 days" is not a duration/);
  });

  it('refuses CA key usages', () => {
    assertRefused({ ...GOOD, keyUsage: ['digitalSignature', 'keyCertSign'] }, /^keyUsage: keyCertSign and cRLSign are for CA certificates/);
    assertRefused({ ...GOOD, keyUsage: ['cRLSign'] }, /^keyUsage: keyCertSign and cRLSign are for CA certificates/);
  });

  it('refuses an unknown key usage, naming the usages it knows', () => {
    assertRefused({ ...GOOD, keyUsage: ['digitalSignature', 'signEverything'] }, /^keyUsage\.1: .*digitalSignature.*keyAgreement/);
  });

  it('refuses privacy with the device serial in a subject or SAN template', () => {
    assertRefused({ ...GOOD, privacy: true, subject: { CN: '{{device.id}}', serialNumber: '{{device.serial}}' } }, /^privacy: this profile keeps device serial numbers out of certificates/);
    assertRefused({ ...GOOD, privacy: true, subject: { CN: 'sensor-{{device.serial}}' } }, /^privacy: /);
    assertRefused({ ...GOOD, privacy: true, san: { templates: ['uri:urn:vendor:serial:{{ device.serial }}'] } }, /^privacy: /);
    assertRefused({ ...GOOD, privacy: true, subject: { CN: '{{device.id}}', serialNumber: 'fixed' } }, /^privacy: /);
    assert.deepEqual(problems({ ...GOOD, privacy: true }), []);
  });

  it('refuses an unknown template field, listing the known ones', () => {
    assertRefused({ ...GOOD, subject: { CN: '{{device.name}}' } }, /^template field \{\{device\.name\}\} is unknown; use device\.id, device\.serial/);
    assertRefused({ ...GOOD, san: { templates: ['dns:{{hostname}}.fleet.internal'] } }, /\{\{hostname\}\} is unknown/);
    assert.deepEqual(problems({ ...GOOD, subject: { CN: '{{device.id}}', OU: '{{meta.line-3_b}}' } }), []);
  });

  it('refuses a profile that gives certificates no name', () => {
    assertRefused({ ...GOOD, subject: {}, san: { templates: [] } }, /^a profile needs a subject attribute or a SAN template/);
  });

  it('refuses unknown subject attributes and extended key usages', () => {
    assertRefused({ ...GOOD, subject: { CN: '{{device.id}}', Title: 'x' } }, /^subject: unknown attribute Title/);
    assertRefused({ ...GOOD, extKeyUsage: ['clientAuth', 'mindControl'] }, /^extKeyUsage: unknown extended key usage "mindControl"/);
    assert.deepEqual(problems({ ...GOOD, extKeyUsage: ['clientAuth', '1.3.6.1.4.1.99999.1'] }), [], 'a dotted OID is a valid EKU');
  });

  it('refuses SAN templates and patterns that are not SANs', () => {
    assertRefused({ ...GOOD, san: { templates: ['urn:fleetpki:device:{{device.id}}'] } }, /^san\.templates: "urn:fleetpki:device:\{\{device\.id\}\}" is not a SAN template/);
    assertRefused({ ...GOOD, san: { templates: ['dns:no spaces.fleet.internal'] } }, /^san\.templates: "no spaces\.fleet\.internal" is not a valid DNS name/);
    assertRefused({ ...GOOD, san: { templates: [], allowRequested: ['DNS:*.fleet.internal'] } }, /^san\.allowRequested: .*is not a SAN/);
    assertRefused({ ...GOOD, san: { templates: [], allowRequested: ['ip:300.1.1.1'] } }, /^san\.allowRequested: .*not an IP address/);
    assert.deepEqual(problems({ ...GOOD, san: { templates: ['dns:{{device.id}}.fleet.internal'], allowRequested: ['dns:*.fleet.internal', 'ip:::1'] } }), []);
    // Values made wholly of device fields can only be checked at issuance.
    const fromFields = ['email:{{meta.mail}}', 'uri:{{meta.uri}}', 'ip:{{meta.ip}}', 'email:{{device.id}}@fleet.internal', 'dns:{{meta.host}}'];
    assert.deepEqual(problems({ ...GOOD, san: { templates: fromFields } }), []);
  });

  it('refuses shape errors: unknown keys (named), bad name, renewAfter outside (0, 1)', () => {
    assertRefused({ ...GOOD, colour: 'blue' }, /must not have additional properties: colour/);
    assertRefused({ ...GOOD, name: 'Has Spaces' }, /^name: must match pattern/);
    assertRefused({ ...GOOD, renewAfter: 1 }, /^renewAfter: /);
    assertRefused({ ...GOOD, renewAfter: 0 }, /^renewAfter: /);
    assertRefused({ ...GOOD, keys: { allowed: [] } }, /^keys\.allowed: /);
    assertRefused({ ...GOOD, keys: { allowed: ['rsa'], rsaMinBits: 1024 } }, /^keys\.rsaMinBits: /);
  });

  it('reports every problem of a profile at once', () => {
    const found = problems({ ...GOOD, validity: 'soon', keyUsage: ['keyCertSign'], subject: { CN: '{{device.nope}}' } });
    assert.equal(found.length, 3, JSON.stringify(found));
  });
});

const DEVICE: DevicesTable = {
  id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  external_serial: 'SN-4711',
  model: 'TH-200',
  device_class: 'sensor',
  environment: 'prod',
  site: 'plant-2',
  owner: 'ops@example.com',
  criticality: 'high',
  status: 'active',
  metadata: JSON.stringify({ line: 3, room: 'B-12', empty: '', none: null }),
  manufacturer: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('templates', () => {
  it('render every device field and metadata key', () => {
    assert.equal(
      renderTemplate('{{device.id}}|{{device.serial}}|{{device.model}}|{{device.class}}|{{device.environment}}|{{device.site}}|{{device.owner}}|{{meta.line}}|{{ meta.room }}', DEVICE),
      `${DEVICE.id}|SN-4711|TH-200|sensor|prod|plant-2|ops@example.com|3|B-12`,
    );
    assert.equal(renderTemplate('uri:urn:fleetpki:device:{{device.id}}', DEVICE), `uri:urn:fleetpki:device:${DEVICE.id}`);
    assert.equal(renderTemplate('no placeholders', DEVICE), 'no placeholders');
  });

  it('list the fields they use', () => {
    assert.deepEqual(templateFields('{{device.id}}.{{ meta.site-code }}.x'), ['device.id', 'meta.site-code']);
    assert.deepEqual(templateFields('plain'), []);
  });

  it('refuse, as policy, a device without the value a template needs', () => {
    for (const [template, field] of [
      ['{{meta.missing}}', 'meta.missing'],
      ['{{meta.empty}}', 'meta.empty'],
      ['{{meta.none}}', 'meta.none'],
      ['{{device.site}}', 'device.site'],
    ] as const) {
      const device = field === 'device.site' ? { ...DEVICE, site: null } : DEVICE;
      assert.throws(
        () => renderTemplate(template, device),
        (error: unknown) => error instanceof PolicyDenied && error.message.includes(`{{${field}}}`) && error.message.includes(DEVICE.id),
      );
    }
  });
});

describe('requested SANs against profile patterns', () => {
  const profile: Profile = checkProfile({
    ...GOOD,
    name: 'patterns',
    san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'], allowRequested: ['dns:*.gateways.fleet.internal', 'dns:broker.fleet.internal', 'ip:127.0.0.1'] },
  });
  const templateSans = [parseSan(`uri:urn:fleetpki:device:${DEVICE.id}`)];
  const check = (...requested: string[]) =>
    requestedNamesAllowed({
      csr: { requestedSans: requested.map(parseSan) } as ParsedCsr,
      profile,
      device: DEVICE,
      issuer: {} as CasTable,
      templateSans,
    });

  it('a wildcard pattern matches exactly one label', () => {
    for (const name of ['dns:a.gateways.fleet.internal', 'dns:edge-7.gateways.fleet.internal', 'dns:x.gateways.fleet.internal']) {
      assert.doesNotThrow(() => check(name), name);
    }
    for (const name of [
      'dns:a.b.gateways.fleet.internal',
      'dns:gateways.fleet.internal',
      'dns:agateways.fleet.internal',
      'dns:a.gateways.fleet.internal.evil.example',
      'dns:a.gateways.fleet.internalx',
      'dns:a.fleet.internal',
    ]) {
      assert.throws(() => check(name), (error: unknown) => error instanceof PolicyDenied && error.message.includes(`SAN ${name} is not allowed by profile patterns`), name);
    }
  });

  it('a wildcard pattern does not grant a wildcard certificate', () => {
    assert.throws(() => check('dns:*.gateways.fleet.internal'), (error: unknown) => error instanceof PolicyDenied && /dns:\*\.gateways\.fleet\.internal/.test(error.message));
  });

  it('exact patterns match only themselves; template SANs are always allowed; every requested name must pass', () => {
    assert.doesNotThrow(() => check('dns:broker.fleet.internal', 'ip:127.0.0.1', `uri:urn:fleetpki:device:${DEVICE.id}`));
    assert.throws(() => check('dns:broker2.fleet.internal'), PolicyDenied);
    assert.throws(() => check('ip:127.0.0.2'), PolicyDenied);
    assert.throws(() => check('uri:urn:fleetpki:device:someone-else'), PolicyDenied);
    assert.throws(() => check('dns:a.gateways.fleet.internal', 'email:root@fleet.internal'), /SAN email:root@fleet\.internal is not allowed/);
    assert.doesNotThrow(() => check());
  });
});
