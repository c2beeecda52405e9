// Version order (semver.org section 11) and the manifest's own rules, which anti-rollback and
// device targeting depend on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequest } from '../../src/errors.ts';
import { buildManifest, parseManifest } from '../../src/firmware/manifest.ts';
import { compareSemVer, parseSemVer } from '../../src/firmware/semver.ts';

test('precedence follows the example chain of semver.org 11.4', () => {
  const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0'];
  for (let i = 0; i < chain.length - 1; i++) {
    const [a, b] = [parseSemVer(chain[i]), parseSemVer(chain[i + 1])];
    assert.ok(compareSemVer(a, b) < 0, `${chain[i]} < ${chain[i + 1]}`);
    assert.ok(compareSemVer(b, a) > 0, `${chain[i + 1]} > ${chain[i]}`);
  }
  assert.equal(compareSemVer(parseSemVer('1.0.0+build.1'), parseSemVer('1.0.0+build.2')), 0, 'build metadata is ignored');
});

test('versions that are not semantic versions are refused, never guessed at', () => {
  for (const bad of ['1.2', 'v1.2.3', '01.2.3', '1.2.3-', '1.2.3-01', '1.2.3 ', '', '1.2.3.4', '99999999999999999999.0.0']) {
    assert.throws(() => parseSemVer(bad), BadRequest, JSON.stringify(bad));
  }
});

const fields = { image: { name: 'a.bin', sha256: 'ab'.repeat(32), size: 3 }, version: '1.2.0', targets: { deviceClasses: ['sensor'], models: [] }, buildTime: '2026-01-01T00:00:00.000Z' };

test('a built manifest reads back as it was, and the bytes are what gets signed', () => {
  const { manifest, bytes } = buildManifest({ ...fields, minVersion: '1.0.0' });
  assert.deepEqual(parseManifest(bytes), manifest);
  assert.equal(manifest.format, 'fleetpki-firmware-manifest/1');
  assert.ok(!('minVersion' in buildManifest(fields).manifest), 'an absent minVersion is left out, not null');
});

test('manifests without targets, with bad versions or unknown fields are refused', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...fields, targets: { deviceClasses: [], models: [] } }, /name at least one device class or model/],
    [{ ...fields, version: '1.2' }, /not a semantic version/],
    [{ ...fields, minVersion: '2.0.0' }, /minVersion 2\.0\.0 is above the image's own version/],
  ];
  for (const [input, message] of cases) assert.throws(() => buildManifest(input as typeof fields), message);
  const extra = Buffer.from(JSON.stringify({ format: 'fleetpki-firmware-manifest/1', ...fields, debug: true }));
  assert.throws(() => parseManifest(extra), /invalid manifest/);
  assert.throws(() => parseManifest(Buffer.from('{')), /not JSON/);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ ...fields, format: 'other/2' }))), /format/);
});
