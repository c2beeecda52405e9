// Bad OCSP input is data: test/fixtures/bad-ocsp/ holds requests named for what is wrong with
// them (regenerate with test/fixtures/make-bad-ocsp-requests.sh). Each must be answered with
// the OCSP status malformedRequest (HTTP 200, application/ocsp-response), and the responder
// must go on answering good requests afterwards. Oversized requests get HTTP 413, GET or POST.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OCSP_STATUS } from '../../src/x509/ocsp.ts';
import { MAX_REQUEST_BYTES } from '../../src/ocsp/responder.ts';
import { deviceCertificate, ocspQuery, openOcspFleet, openssl, post, responseStatus, type OcspFleet } from './helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'bad-ocsp');

describe('bad OCSP requests', () => {
  let o: OcspFleet;
  let goodRequest: Buffer;
  let deviceFile: string;
  before(async () => {
    o = await openOcspFleet();
    deviceFile = (await deviceCertificate(o.fleet)).file;
    const file = join(o.fleet.dir, 'good.req');
    await openssl(['ocsp', '-issuer', o.chain.intermediate, '-cert', deviceFile, '-no_nonce', '-reqout', file]);
    goodRequest = readFileSync(file);
  });
  after(() => o.close());

  const fixtures = readdirSync(FIXTURES).filter((name) => name.endsWith('.der'));

  it('has fixtures to walk', () => assert.ok(fixtures.length >= 15, `found ${fixtures.length}`));

  for (const name of fixtures) {
    it(`answers ${name} with malformedRequest`, async () => {
      const answer = await post(o, readFileSync(join(FIXTURES, name)));
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('content-type'), 'application/ocsp-response');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(responseStatus(answer.body), OCSP_STATUS.malformedRequest);
    });
  }

  it('answers GET URLs that are not base64 of a request with malformedRequest', async () => {
    for (const path of ['', 'not*base64', 'aGVsbG8gd29ybGQ=', encodeURIComponent(readFileSync(join(FIXTURES, 'truncated.der')).toString('base64'))]) {
      const response = await fetch(`${o.url}/${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(responseStatus(Buffer.from(await response.arrayBuffer())), OCSP_STATUS.malformedRequest, path);
    }
    // A URL that is not even valid percent-encoding never reaches the responder: Fastify's router answers 400.
    const broken = await fetch(`${o.url}/%E0%A4%A`);
    assert.equal(broken.status, 400);
    await broken.arrayBuffer();
  });

  it('refuses requests above 8 KiB with HTTP 413, by POST and by GET', async () => {
    const big = Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x30);
    const posted = await post(o, big);
    assert.equal(posted.status, 413, 'POST');
    const got = await fetch(`${o.url}/${encodeURIComponent(big.toString('base64'))}`);
    assert.equal(got.status, 413, 'GET');
    await got.arrayBuffer();
  });

  it('answers a CertID hashed with an algorithm no CA here is indexed by (MD5) with unauthorized', async () => {
    const file = join(o.fleet.dir, 'md5.req');
    const made = await openssl(['ocsp', '-issuer', o.chain.intermediate, '-md5', '-cert', deviceFile, '-no_nonce', '-reqout', file]);
    assert.equal(made.code, 0, made.text);
    assert.equal(responseStatus((await post(o, readFileSync(file))).body), OCSP_STATUS.unauthorized);
  });

  it('answers CertIDs hashed with SHA-256, SHA-384 and SHA-512 as well as SHA-1', async () => {
    for (const digest of ['-sha256', '-sha384', '-sha512']) {
      const result = await ocspQuery(o, [digest, '-cert', deviceFile], ['-no_nonce']);
      assert.match(result.stdout, /: good/, `${digest}: ${result.text}`);
      assert.match(result.text, /Response verify OK/);
    }
  });

  it('reads the body whatever its content type says, and an empty body is malformed', async () => {
    const contentTypes: Array<Record<string, string>> = [{}, { 'content-type': 'application/json' }, { 'content-type': 'application/x-www-form-urlencoded' }];
    for (const headers of contentTypes) {
      const answer = await post(o, goodRequest, headers);
      assert.equal(answer.status, 200);
      assert.equal(responseStatus(answer.body), OCSP_STATUS.successful, JSON.stringify(headers));
    }
    assert.equal(responseStatus((await post(o, new Uint8Array(0))).body), OCSP_STATUS.malformedRequest);
  });

  it('still answers good requests after all of the above', async () => {
    const result = await ocspQuery(o, ['-cert', deviceFile], []);
    assert.match(result.stdout, /: good/, result.text);
    assert.match(result.text, /Response verify OK/);
  });
});
