// The responder as a relying party sees it: the real `openssl ocsp` client (and curl for GET)
// against a listening fleetpki, each answer verified by openssl against the fleet's chain.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { releaseCertificate, revokeCertificate } from '../../src/app/certificates.ts';
import { command, deviceCertificate, ocspQuery, openOcspFleet, openssl, type OcspFleet } from './helpers.ts';

/** "This Update: Nov 23 12:22:23 2026 GMT" -> Date. */
function printedDate(text: string, label: string): Date {
  const match = new RegExp(`${label}: (.+ GMT)`).exec(text);
  assert.ok(match, `openssl printed no ${label}:\n${text}`);
  return new Date(match[1]);
}

describe('openssl ocsp against fleetpki', () => {
  let o: OcspFleet;
  before(async () => {
    o = await openOcspFleet();
  });
  after(() => o.close());

  it('answers good for a new certificate, without and with a nonce, and the response verifies', async () => {
    const { file } = await deviceCertificate(o.fleet);
    for (const extra of [['-no_nonce'], []]) {
      const result = await ocspQuery(o, ['-cert', file], extra);
      assert.equal(result.code, 0, result.text);
      assert.match(result.stdout, new RegExp(`${file}: good`));
      assert.match(result.text, /Response verify OK/);
      assert.doesNotMatch(result.text, /WARNING/, 'no nonce warning: a requested nonce is echoed');
      if (extra.length === 0) assert.match((await ocspQuery(o, ['-cert', file], ['-resp_text'])).stdout, /Response Extensions:\s+OCSP Nonce:/);
      const thisUpdate = printedDate(result.stdout, 'This Update');
      assert.equal(printedDate(result.stdout, 'Next Update').getTime() - thisUpdate.getTime(), 60 * 60_000, 'nextUpdate is always set (RFC 5019)');
    }
  });

  it('answers revoked, with the time and reason, right after a revocation through fleetpki', async () => {
    const { row, file } = await deviceCertificate(o.fleet);
    assert.match((await ocspQuery(o, ['-cert', file], ['-no_nonce'])).stdout, /: good/, 'a good answer is cached first');
    const revoked = await revokeCertificate(o.fleet.ctx, row.id, 'keyCompromise', 'test');
    for (const extra of [['-no_nonce'], []]) {
      const result = await ocspQuery(o, ['-cert', file], extra);
      assert.match(result.stdout, new RegExp(`${file}: revoked`), result.text);
      assert.match(result.stdout, /Reason: keyCompromise/);
      assert.equal(printedDate(result.stdout, 'Revocation Time').toISOString(), new Date(Math.floor(Date.parse(revoked.revoked_at!) / 1000) * 1000).toISOString());
      assert.match(result.text, /Response verify OK/);
    }
  });

  it('answers a certificate on hold as revoked with reason certificateHold, and good again once released', async () => {
    const { row, file } = await deviceCertificate(o.fleet);
    await revokeCertificate(o.fleet.ctx, row.id, 'certificateHold', 'test');
    const held = await ocspQuery(o, ['-cert', file], ['-no_nonce']);
    assert.match(held.stdout, /: revoked/);
    assert.match(held.stdout, /Reason: certificateHold/);
    await releaseCertificate(o.fleet.ctx, row.id, 'test');
    assert.match((await ocspQuery(o, ['-cert', file], ['-no_nonce'])).stdout, /: good/);
  });

  it('leaves the reason out for a revocation with reason unspecified (RFC 5280 5.3.1)', async () => {
    const { row, file } = await deviceCertificate(o.fleet);
    await revokeCertificate(o.fleet.ctx, row.id, undefined, 'test');
    const result = await ocspQuery(o, ['-cert', file], ['-no_nonce']);
    assert.match(result.stdout, /: revoked/);
    assert.doesNotMatch(result.stdout, /Reason:/);
  });

  it('answers unknown for a serial the CA never issued', async () => {
    const result = await ocspQuery(o, ['-serial', '0x5eed0123456789abcdef'], []);
    assert.match(result.stdout, /0x5eed0123456789abcdef: unknown/i, result.text);
    assert.match(result.text, /Response verify OK/);
  });

  it('answers unauthorized for a CertID naming a CA it does not run', async () => {
    const key = join(o.fleet.dir, 'stranger.key');
    const cert = join(o.fleet.dir, 'stranger.pem');
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=Stranger CA', '-days', '2']);
    const result = await ocspQuery(o, ['-serial', '1'], [], cert);
    assert.match(result.text, /Responder Error: unauthorized \(6\)/);
  });

  it('answers every CertID of a request that asks about several', async () => {
    const first = await deviceCertificate(o.fleet);
    const second = await deviceCertificate(o.fleet);
    await revokeCertificate(o.fleet.ctx, second.row.id, 'superseded', 'test');
    const result = await ocspQuery(o, ['-cert', first.file, '-cert', second.file], []);
    assert.match(result.stdout, new RegExp(`${first.file}: good`), result.text);
    assert.match(result.stdout, new RegExp(`${second.file}: revoked`));
    assert.match(result.stdout, /Reason: superseded/);
    assert.match(result.text, /Response verify OK/);
  });

  it('answers for the issuing CA certificates, with the root as issuer', async () => {
    const result = await openssl(['ocsp', '-issuer', o.chain.root, '-cert', o.chain.intermediate, '-url', o.url, '-CAfile', o.chain.root]);
    assert.match(result.stdout, new RegExp(`${o.chain.intermediate}: good`), result.text);
    assert.match(result.text, /Response verify OK/);
  });

  it('signs with a delegated responder certificate: issued by the CA, OCSP Signing, OCSP No Check, and in the response', async () => {
    const { file } = await deviceCertificate(o.fleet);
    const result = await ocspQuery(o, ['-cert', file], ['-no_nonce', '-resp_text']);
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(result.stdout)?.[0];
    assert.ok(pem, 'the signer certificate is in the certs field');
    const signerFile = join(o.fleet.dir, 'responder.pem');
    writeFileSync(signerFile, pem);
    const text = (await openssl(['x509', '-in', signerFile, '-noout', '-text'])).stdout;
    assert.match(text, /Issuer: O ?= ?fleetpki, CN ?= ?fleetpki Devices Production CA\n/);
    assert.match(text, /Subject: O ?= ?fleetpki, CN ?= ?fleetpki Devices Production CA OCSP Responder/);
    assert.match(text, /X509v3 Extended Key Usage: *\n\s+OCSP Signing\n/);
    assert.match(text, /OCSP No Check/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(text, /CA:FALSE/);
    const ski = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(text)![1].replace(/:/g, '');
    assert.match(result.stdout, new RegExp(`Responder Id: ${ski}`), 'ResponderID byKey names the signer');
    const verify = await openssl(['verify', '-purpose', 'ocsphelper', '-CAfile', o.chain.root, '-untrusted', o.chain.intermediate, signerFile]);
    assert.equal(verify.code, 0, verify.text);
  });

  it('answers GET with the request base64 in the URL, with RFC 5019 caching headers', async () => {
    const { file } = await deviceCertificate(o.fleet);
    const requestFile = join(o.fleet.dir, 'get-request.der');
    await openssl(['ocsp', '-issuer', o.chain.intermediate, '-cert', file, '-no_nonce', '-reqout', requestFile]);
    const base64 = readFileSync(requestFile).toString('base64');
    const responseFile = join(o.fleet.dir, 'get-response.der');
    const headersFile = join(o.fleet.dir, 'get-headers.txt');
    const curl = await command('curl', ['-sS', '-D', headersFile, '-o', responseFile, `${o.url}/${encodeURIComponent(base64)}`]);
    assert.equal(curl.code, 0, curl.text);
    const checked = await openssl(['ocsp', '-respin', responseFile, '-issuer', o.chain.intermediate, '-cert', file, '-CAfile', o.chain.bundle]);
    assert.match(checked.stdout, /: good/, checked.text);
    assert.match(checked.text, /Response verify OK/);

    const headers = parseHeaders(readFileSync(headersFile, 'utf8'));
    assert.match(headers.status, / 200/);
    assert.equal(headers['content-type'], 'application/ocsp-response');
    const thisUpdate = printedDate(checked.stdout, 'This Update');
    const nextUpdate = printedDate(checked.stdout, 'Next Update');
    assert.equal(headers['last-modified'], thisUpdate.toUTCString());
    assert.equal(headers.expires, nextUpdate.toUTCString());
    const cacheControl = /^max-age=(\d+), public, no-transform, must-revalidate$/.exec(headers['cache-control']);
    assert.ok(cacheControl, headers['cache-control']);
    const secondsLeft = (nextUpdate.getTime() - Date.now()) / 1000;
    assert.ok(Math.abs(Number(cacheControl[1]) - secondsLeft) <= 2, `max-age ${cacheControl[1]} is the time to nextUpdate (${secondsLeft} s)`);
    assert.match(headers.etag, /^"[A-Za-z0-9_-]+"$/);

    const revalidated = await command('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: ${headers.etag}`, `${o.url}/${encodeURIComponent(base64)}`]);
    assert.equal(revalidated.stdout, '304', 'a cache revalidating with the ETag gets 304');
  });

  it('reads GET URLs whose base64 is not percent-encoded ("/" and "+" as they are)', async () => {
    // Serials are tried until one gives a request whose base64 has a "/", which splits the path.
    for (let serial = 1; serial < 200; serial++) {
      const requestFile = join(o.fleet.dir, `raw-${serial}.der`);
      await openssl(['ocsp', '-issuer', o.chain.intermediate, '-serial', String(serial), '-no_nonce', '-reqout', requestFile]);
      const base64 = readFileSync(requestFile).toString('base64');
      if (!base64.includes('/')) continue;
      const responseFile = join(o.fleet.dir, `raw-${serial}.resp`);
      await command('curl', ['-sS', '--path-as-is', '-o', responseFile, `${o.url}/${base64}`]);
      const checked = await openssl(['ocsp', '-respin', responseFile, '-issuer', o.chain.intermediate, '-serial', String(serial), '-CAfile', o.chain.bundle]);
      assert.match(checked.stdout, /: unknown/, checked.text);
      assert.match(checked.text, /Response verify OK/);
      return;
    }
    assert.fail('no serial gave a base64 request with a "/"');
  });

  it('answers a garbage body with malformedRequest', async () => {
    const responseFile = join(o.fleet.dir, 'garbage.resp');
    const curl = await command('curl', ['-sS', '-o', responseFile, '-w', '%{http_code} %{content_type}', '-H', 'Content-Type: application/ocsp-request', '--data-binary', 'this is not an OCSP request', o.url]);
    assert.equal(curl.stdout, '200 application/ocsp-response');
    const printed = await openssl(['ocsp', '-respin', responseFile, '-resp_text', '-noverify']);
    assert.match(printed.text, /malformedrequest \((0x)?1\)/);
  });
});

function parseHeaders(text: string): Record<string, string> & { status: string } {
  const lines = text.trim().split(/\r?\n/);
  const headers: Record<string, string> = { status: lines[0] };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers as Record<string, string> & { status: string };
}
