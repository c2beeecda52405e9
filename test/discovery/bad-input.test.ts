// Bad input is data: every file in test/fixtures/bad-discovery/ is reported by an import with
// its reason (and the run completes), and every malformed scan target is refused with a
// message that names it. Target parsing and key naming are checked without a network.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeKey } from '../../src/discovery/algorithms.ts';
import { importFiles } from '../../src/discovery/import.ts';
import { parseTarget, parseTargets } from '../../src/discovery/targets.ts';
import { BadRequest } from '../../src/errors.ts';
import { listRunTargets } from '../../src/store/repos/discovery-runs.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';

const FOLDER = join(import.meta.dirname, '..', 'fixtures', 'bad-discovery');

/** What the import says about each fixture. */
const EXPECTED: Record<string, RegExp> = {
  'empty.pem': /^empty$/,
  'plain-text.crt': /neither PEM nor a DER certificate/,
  'truncated.der': /^DER: not a certificate/,
  'trailing-bytes.der': /^DER: malformed certificate: unexpected bytes after the DER object/,
  'empty-sequence.der': /^DER: not a certificate/,
  'not-base64.pem': /PEM block 1: malformed PEM: the CERTIFICATE block is not valid base64/,
  'csr-labelled-certificate.pem': /PEM block 1: not a certificate/,
  'private-key-only.pem': /no CERTIFICATE block \(found PRIVATE KEY\)/,
};

describe('discovery bad input', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet();
  });
  after(() => fleet.close());

  it('reports every bad fixture file with its reason, and the run still completes', async () => {
    const files = readdirSync(FOLDER).sort();
    assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'each fixture has a line in EXPECTED');
    const run = await importFiles(fleet.ctx, [FOLDER], {}, 'test');
    assert.equal(run.status, 'completed');
    assert.equal(Number(run.targets_failed), files.length);
    for (const target of await listRunTargets(fleet.ctx.db, run.id)) {
      const name = basename(target.target);
      assert.equal(target.outcome, 'error', name);
      assert.match(target.error ?? '', EXPECTED[name], name);
    }
  });

  it('parses targets as people write them', () => {
    const cases: Array<[string, { host: string; port: number; serverName: string | null; location: string }]> = [
      ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443, serverName: null, location: '127.0.0.1:8443' }],
      ['[::1]:8883', { host: '::1', port: 8883, serverName: null, location: '[::1]:8883' }],
      ['::1', { host: '::1', port: 443, serverName: null, location: '[::1]:443' }],
      ['Broker.Plant-1.example', { host: 'broker.plant-1.example', port: 443, serverName: 'broker.plant-1.example', location: 'broker.plant-1.example:443' }],
      ['localhost:8443', { host: 'localhost', port: 8443, serverName: 'localhost', location: 'localhost:8443' }],
      [' 10.0.0.7:443 ', { host: '10.0.0.7', port: 443, serverName: null, location: '10.0.0.7:443' }],
    ];
    for (const [text, expected] of cases) assert.deepEqual(parseTarget(text), expected, text);
  });

  it('refuses malformed targets, naming each', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty target/],
      ['host:0', /port must be 1 to 65535/],
      ['host:65536', /port must be 1 to 65535/],
      ['host:https', /port must be 1 to 65535/],
      ['under_score.example:443', /neither an IP address nor a host name/],
      ['http://broker.example', /is a URL; write host:port/],
      ['[::1', /neither an IP address nor a host name/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseTarget(text), (e: Error) => e instanceof BadRequest && message.test(e.message), text);
    assert.throws(() => parseTargets([], 10), /no targets/);
    assert.throws(() => parseTargets(['a:1', 'b:1', 'c:1'], 2), /3 targets in one scan; at most 2/);
    assert.equal(parseTargets(['127.0.0.1:443', '127.0.0.1'], 10).length, 1, 'the same endpoint twice is scanned once');
  });

  it('names and grades keys fleetpki would refuse to issue for', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const grade = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => describeKey(key, '');
    assert.deepEqual(grade(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), { name: 'rsa-1024', bits: 1024, strength: 'weak' });
    assert.deepEqual(grade(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey), { name: 'ec-secp521r1', bits: 521, strength: 'non-standard' });
    assert.deepEqual(grade(generateKeyPairSync('ed448').publicKey), { name: 'ed448', bits: 0, strength: 'non-standard' });
    assert.deepEqual(grade(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), { name: 'ec-p384', bits: 384, strength: 'standard' });
    assert.deepEqual(grade(generateKeyPairSync('ed25519').publicKey), { name: 'ed25519', bits: 256, strength: 'standard' });
  });
});
