// fleetpki_ocsp_responses_total as a scraper reads it from a listening server: one good
// request, one garbage body, one POST over the size limit and one GET over it each move
// exactly their own series by one, the refused ones included (Fastify answers those 413
// before the responder sees them).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_REQUEST_BYTES } from '../../src/ocsp/responder.ts';
import { OCSP_STATUS } from '../../src/x509/ocsp.ts';
import { deviceCertificate, openOcspFleet, openssl, post, responseStatus, type OcspFleet } from '../ocsp/helpers.ts';
import { family, parseExposition } from './exposition.ts';

const METRIC = 'fleetpki_ocsp_responses_total';
let o: OcspFleet;
let goodRequest: Buffer;

before(async () => {
  o = await openOcspFleet();
  const { file } = await deviceCertificate(o.fleet);
  const out = join(o.fleet.dir, 'good.req');
  const made = await openssl(['ocsp', '-issuer', o.chain.intermediate, '-cert', file, '-no_nonce', '-reqout', out]);
  assert.equal(made.code, 0, made.text);
  goodRequest = readFileSync(out);
});
after(() => o.close());

async function answered(): Promise<Record<string, number>> {
  const response = await fetch(o.url.replace(/\/ocsp$/, '/metrics'));
  assert.equal(response.status, 200);
  return family(parseExposition(await response.text()), METRIC);
}

test('each OCSP request is counted once under its status and source, refusals at the HTTP level too', async () => {
  assert.deepEqual(await answered(), {}, 'nothing counted before the first request');

  const good = await post(o, goodRequest);
  assert.equal(responseStatus(good.body), OCSP_STATUS.successful);
  // The first answer for a certificate is signed on demand (the cache starts empty).
  assert.deepEqual(await answered(), { '{source="signed",status="successful"}': 1 });

  const garbage = await post(o, Buffer.from('not an OCSP request'));
  assert.equal(responseStatus(garbage.body), OCSP_STATUS.malformedRequest);
  assert.deepEqual(await answered(), { '{source="signed",status="successful"}': 1, '{source="error",status="malformedRequest"}': 1 });

  const big = Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x30);
  assert.equal((await post(o, big)).status, 413);
  assert.deepEqual(await answered(), { '{source="signed",status="successful"}': 1, '{source="error",status="malformedRequest"}': 1, '{source="http",status="http_413"}': 1 });

  const got = await fetch(`${o.url}/${encodeURIComponent(big.toString('base64'))}`);
  assert.equal(got.status, 413);
  await got.arrayBuffer();
  assert.deepEqual(await answered(), { '{source="signed",status="successful"}': 1, '{source="error",status="malformedRequest"}': 1, '{source="http",status="http_413"}': 2 });

  // The same request again comes from the cache the first answer filled.
  await post(o, goodRequest);
  assert.equal((await answered())['{source="cache",status="successful"}'], 1);
});
