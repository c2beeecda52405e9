// What an operator and a relying party see: OpenAPI, probes, metrics, published CA
// certificates, and a real server on a socket that drains on close.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { startServer } from '../../src/api/server.ts';
import { openTestFleet, opensslCsr, opensslText, opensslVerify, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { toPem } from '../../src/x509/pem.ts';
import { errorOf, openApi, type ApiHarness } from './harness.ts';

describe('operations endpoints', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  it('serves the OpenAPI 3 document with every resource and the bearer scheme', async () => {
    const response = await api.call('GET', '/api/v1/openapi.json', { token: null });
    assert.equal(response.statusCode, 200);
    const doc = response.json();
    assert.match(doc.openapi, /^3\./);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearerAuth.description });
    for (const path of ['/api/v1/devices', '/api/v1/devices/{id}/decommission', '/api/v1/certificates', '/api/v1/certificates/{id}/pem', '/api/v1/certificates/{id}/revoke',
      '/api/v1/cas', '/api/v1/cas/import-root', '/api/v1/profiles/{name}', '/api/v1/audit', '/api/v1/audit/verify', '/api/v1/tokens', '/api/v1/tokens/{id}']) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const issue = doc.paths['/api/v1/certificates'].post;
    assert.deepEqual(issue.requestBody.content['application/json'].schema.required, ['csr', 'profile', 'deviceId']);
    assert.ok(issue.responses['201'] && issue.responses['4XX'], 'success and error bodies are described');
    // Defaults make a field optional for the client.
    const limit = doc.paths['/api/v1/devices'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    assert.equal(limit.required, false);
    assert.deepEqual(doc.paths['/healthz'].get.security, [], 'probes need no token');
  });

  it('healthz answers, readyz checks the store and says 503 when it is gone', async () => {
    assert.deepEqual((await api.call('GET', '/healthz', { token: null })).json(), { status: 'ok' });
    assert.deepEqual((await api.call('GET', '/readyz', { token: null })).json(), { status: 'ready' });

    const broken = await openApi();
    try {
      await broken.fleet.ctx.store.close();
      const response = await broken.call('GET', '/readyz', { token: null });
      assert.equal(response.statusCode, 503);
      assert.equal(errorOf(response).code, 'unavailable');
      assert.equal((await broken.call('GET', '/healthz', { token: null })).statusCode, 200, 'the process itself is still up');
    } finally {
      await broken.close();
    }
  });

  it('counts requests by route pattern, issued certificates and refusals', async () => {
    const deviceId = await api.device();
    await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId } });
    await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'no-such-profile', deviceId } });
    await api.call('GET', `/api/v1/devices/${deviceId}`);
    const response = await api.call('GET', '/metrics', { token: null });
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    const text = response.body;
    assert.match(text, /^fleetpki_certificates_issued_total 1$/m);
    assert.match(text, /^fleetpki_issuance_refusals_total\{code="bad_request"\} 1$/m);
    assert.match(text, /^fleetpki_http_requests_total\{method="POST",route="\/api\/v1\/certificates",status="201"\} 1$/m);
    assert.match(text, /^fleetpki_http_requests_total\{method="GET",route="\/api\/v1\/devices\/:id",status="200"\} 1$/m, 'the pattern, not the id');
    assert.match(text, /^process_cpu_user_seconds_total /m, 'default process metrics');
  });

  it('publishes CA certificates at the caIssuers URL the certificates carry (DER) and as PEM', async () => {
    const deviceId = await api.device();
    const issued = await api.call('POST', '/api/v1/certificates', { body: { csr: opensslCsr(api.fleet.dir).pem, profile: 'sensor', deviceId } });
    const leafPem = issued.json().certificate.pem;
    const caIssuers = /CA Issuers - URI:(\S+)/.exec(opensslText(leafPem))?.[1];
    assert.ok(caIssuers, 'the certificate names where its issuer is');
    const path = new URL(caIssuers).pathname;
    assert.equal(path, '/ca/devices-production.cer');

    const der = await api.call('GET', path, { token: null });
    assert.equal(der.statusCode, 200);
    assert.equal(der.headers['content-type'], 'application/pkix-cert');
    const subject = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-subject'], { input: der.rawPayload, encoding: 'utf8' });
    assert.match(subject, /fleetpki Devices Production CA/);

    // The fetched issuer completes the chain, the way a relying party chasing AIA would use it.
    const chain = await writeChainFiles(api.fleet);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(chain.intermediate, toPem(der.rawPayload, 'CERTIFICATE'));
    assert.match(opensslVerify(chain, leafPem, api.fleet.dir), /: OK/);

    const pem = await api.call('GET', '/ca/fleet-root.pem', { token: null });
    assert.match(pem.body, /^-----BEGIN CERTIFICATE-----/);
    assert.equal((await api.call('GET', '/ca/no-such-ca.cer', { token: null })).statusCode, 404);
  });

  it('answers unknown routes with the error body', async () => {
    const response = await api.call('GET', '/api/v2/everything', { token: null });
    assert.equal(response.statusCode, 404);
    assert.equal(errorOf(response).code, 'not_found');
  });

  it('answers malformed JSON with 400 and a plain explanation', async () => {
    const response = await api.call('POST', '/api/v1/devices', { body: '{"externalSerial": ' });
    assert.equal(response.statusCode, 400);
    assert.match(errorOf(response).message, /not valid JSON/);
  });
});

describe('server on a socket', () => {
  let fleet: TestFleet;
  before(async () => {
    fleet = await openTestFleet({ listen: '127.0.0.1:0' });
  });
  after(() => fleet.close());

  it('listens on a free port, issues over real HTTP, and drains an in-flight request on close', async () => {
    const server = await startServer(fleet.ctx);
    const { port } = new URL(server.url);
    assert.notEqual(port, '0');
    const auth = { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' };

    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const device = (await (await fetch(`${server.url}/api/v1/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ externalSerial: 'NET-1', deviceClass: 'sensor', environment: 'production' }) })).json()) as { id: string };
    const body = JSON.stringify({ csr: opensslCsr(fleet.dir).pem, profile: 'sensor', deviceId: device.id });
    const issued = await fetch(`${server.url}/api/v1/certificates`, { method: 'POST', headers: auth, body });
    assert.equal(issued.status, 201);
    const { certificate } = (await issued.json()) as { certificate: { pem: string } };
    assert.match(opensslVerify(await writeChainFiles(fleet), certificate.pem, fleet.dir), /: OK/);

    // Half a request on the wire, then close(): the request must still be answered.
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/v1/certificates`, { method: 'POST', headers: { ...auth, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 100));
      setTimeout(() => req.end(body.slice(100)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false, 'close waits for the in-flight request');
    await assert.rejects(fetch(`${server.url}/healthz`), 'no new connections once closing');

    const answer = await inFlight;
    assert.equal(answer.status, 201, answer.body);
    await closing;
    assert.equal(closed, true);
  });
});
