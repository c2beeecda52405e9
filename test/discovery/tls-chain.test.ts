// What a scan records is what the server sent, against real TLS servers on loopback: the
// certificate a server chooses by SNI for a name (and its default one for an address), a
// chain sent out of order with a stray certificate in it kept whole and in the server's
// order, and no root from this process's trust store that the server never sent, whether
// the chain is read from the handshake (TLS 1.2 and 1.3) or from Node's issuer links.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, createSecureContext, createServer, getCACertificates, setDefaultCACertificates, type Server } from 'node:tls';
import { parseTarget } from '../../src/discovery/targets.ts';
import { probeTls } from '../../src/discovery/tls-probe.ts';
import { openApi, type ApiHarness } from '../api/harness.ts';
import { derOf, fingerprint, intermediateFrom, leafFrom, selfSigned, testCa, type Made } from './fixtures.ts';
import { scan } from './harness.ts';

type Json = Record<string, any>;

const subjectOf = (der: Buffer) => new X509Certificate(der).subject;

function listen(server: Server): Promise<number> {
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** Node's own reading of the chain, default trust store and all: the premise of the root test. */
function nodeLinkedChain(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const subjects: string[] = [];
      const seen = new Set<string>();
      for (let c = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        subjects.push(subjectOf(c.raw));
      }
      socket.destroy();
      resolve(subjects);
    });
    socket.on('error', reject);
  });
}

describe('discovery records the chain the server presented', () => {
  let api: ApiHarness;
  let root: Made;
  let intermediate: Made;
  let leaf: Made;
  let stray: Made;
  const servers: Server[] = [];
  const defaultRoots = getCACertificates('default');

  before(async () => {
    api = await openApi();
    const dir = api.fleet.dir;
    root = testCa(dir, '/O=Public Test/CN=Public Test Root');
    intermediate = intermediateFrom(dir, root, '/O=Public Test/CN=Public Test Issuing CA');
    leaf = leafFrom(dir, intermediate, 'broker.test');
    stray = selfSigned(dir, 'stray.test');
    // As a public CA's root is for any client: in the trust store of this process, and never sent by the servers below.
    setDefaultCACertificates([...defaultRoots, root.pem]);
  });
  after(async () => {
    setDefaultCACertificates(defaultRoots);
    await Promise.all(servers.map(close));
    await api.close();
  });

  async function serve(chain: string, options: Record<string, unknown> = {}): Promise<number> {
    const server = createServer({ key: readFileSync(leaf.key, 'utf8'), cert: chain, ...options }, (socket) => socket.end());
    servers.push(server);
    return listen(server);
  }

  it('a name is sent as SNI: the certificate the server picks for it is recorded there, the default one at the address', async () => {
    const named = selfSigned(api.fleet.dir, 'named.test');
    const fallback = selfSigned(api.fleet.dir, 'default.test');
    const asked: string[] = [];
    const namedContext = createSecureContext({ key: readFileSync(named.key, 'utf8'), cert: named.pem });
    const server = createServer({
      key: readFileSync(fallback.key, 'utf8'),
      cert: fallback.pem,
      SNICallback: (name, done) => {
        asked.push(name);
        done(null, name === 'localhost' ? namedContext : undefined);
      },
    }, (socket) => socket.end());
    servers.push(server);
    const port = await listen(server);
    const run = await scan(api, { targets: [`localhost:${port}`, `127.0.0.1:${port}`], timeoutMs: 3000 });
    assert.equal(run.status, 'completed');
    assert.equal(run.targetsFailed, 0);
    assert.deepEqual(asked, ['localhost'], 'SNI sent for the name only, never for the address');
    const byTarget = Object.fromEntries(run.targets.map((t: Json) => [t.target, t.details.serverName]));
    assert.deepEqual(byTarget, { [`localhost:${port}`]: 'localhost', [`127.0.0.1:${port}`]: null });

    const seen = async (made: Made) => {
      const [cert] = (await api.call('GET', `/api/v1/discovery/certificates?fingerprint=${fingerprint(made.pem)}`)).json().items;
      return cert.seenAt.map((s: Json) => [s.location, s.role]);
    };
    assert.deepEqual(await seen(named), [[`localhost:${port}`, 'leaf']]);
    assert.deepEqual(await seen(fallback), [[`127.0.0.1:${port}`, 'leaf']]);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a chain sent out of order, with a stray certificate, is read whole and in the server's order`, async () => {
      const port = await serve(leaf.pem + stray.pem + root.pem + intermediate.pem, { maxVersion: version, minVersion: version });
      const probe = await probeTls(parseTarget(`127.0.0.1:${port}`), 3000);
      assert.equal(probe.protocol, version);
      assert.equal(probe.chainSource, 'handshake');
      assert.deepEqual(probe.chain, [leaf, stray, root, intermediate].map((m) => derOf(m.pem)));
    });
  }

  it('no root the server did not send is recorded, by the handshake reading or by the issuer-link fallback', async () => {
    const port = await serve(leaf.pem + intermediate.pem);
    const sent = [leaf, intermediate].map((m) => derOf(m.pem));
    // Node's default reading appends the root from the trust store: what the probe must not do.
    assert.deepEqual(await nodeLinkedChain(port), [leaf, intermediate, root].map((m) => subjectOf(derOf(m.pem))));

    const probe = await probeTls(parseTarget(`127.0.0.1:${port}`), 3000);
    assert.equal(probe.chainSource, 'handshake');
    assert.deepEqual(probe.chain, sent);
    // A handshake too large to keep (here: made so) falls back to Node's links, over an empty trust store.
    const fallback = await probeTls(parseTarget(`127.0.0.1:${port}`), 3000, undefined, { handshakeBytes: 64 });
    assert.equal(fallback.chainSource, 'issuer-links');
    assert.match(fallback.chainNote ?? '', /the handshake exceeded 64 bytes/);
    assert.deepEqual(fallback.chain, sent);

    const run = await scan(api, { targets: [`127.0.0.1:${port}`], timeoutMs: 3000 });
    const [target] = run.targets;
    assert.deepEqual([target.outcome, target.details.chainLength, target.details.chainSource], ['ok', 2, 'handshake']);
    const all = (await api.call('GET', '/api/v1/discovery/certificates?limit=1000')).json().items as Json[];
    const here = all.filter((c) => c.seenAt.some((s: Json) => s.location === `127.0.0.1:${port}`));
    assert.deepEqual(here.map((c) => c.fingerprintSha256).sort(), [leaf, intermediate].map((m) => fingerprint(m.pem)).sort());
    assert.ok(!all.some((c) => c.fingerprintSha256 === fingerprint(root.pem)), 'the root was never sent, so never recorded');
  });
});
