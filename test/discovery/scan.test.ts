// Discovery against real TLS servers on 127.0.0.1, presenting certificates made by openssl:
// every expected finding, nothing for the good endpoint, an unreachable port recorded as that
// target's error, and a second scan that updates rather than repeats.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errorOf, openApi, type ApiHarness } from '../api/harness.ts';
import { getRun, listRunTargets } from '../../src/store/repos/discovery-runs.ts';
import { opensslCsr } from '../helpers/context.ts';
import { findingsAt, scan } from './harness.ts';
import { closeAll, closedPort, expiredLeaf, fingerprint, leafFrom, selfSigned, serve, testCa, type Endpoint } from './fixtures.ts';

type Json = Record<string, any>;

const kindsAt = (findings: Json[], location: string) =>
  findings.filter((f) => f.certificate.seenAt.some((s: Json) => s.location === location && s.role === 'leaf')).map((f) => f.kind).sort();

describe('discovery scan of TLS endpoints', () => {
  let api: ApiHarness;
  const ep: Record<string, Endpoint> = {};
  const pem: Record<string, string> = {};
  let unreachable: string;
  let goodCertificateId: string;

  before(async () => {
    api = await openApi();
    const dir = api.fleet.dir;
    const maker = testCa(dir, '/O=Acme Devices/CN=Acme Manufacturing CA');
    const added = await api.call('POST', '/api/v1/manufacturers', { body: { name: 'acme', certificatePem: maker.pem } });
    assert.equal(added.statusCode, 201, added.body);
    const stranger = testCa(dir, '/O=Elsewhere/CN=Unknown Test CA');
    const self = selfSigned(dir, 'selfsigned.test');
    const weak = selfSigned(dir, 'weak.test', ['-newkey', 'rsa:1024', '-sha1']);
    const expired = expiredLeaf(dir, stranger, 'expired.test');
    const sharedA = leafFrom(dir, maker, 'shared-a.test');
    const sharedB = leafFrom(dir, maker, 'shared-b.test', { key: sharedA.key });
    const expiring = leafFrom(dir, maker, 'expiring.test', { days: 10 });
    const csr = opensslCsr(dir, 'ec-p256', { subject: '/CN=good', sans: ['IP:127.0.0.1'] });
    const device = await api.device();
    const issued = await api.call('POST', '/api/v1/certificates', { body: { csr: csr.pem, profile: 'tls-server', deviceId: device } });
    assert.equal(issued.statusCode, 201, issued.body);
    goodCertificateId = issued.json().certificate.id;
    const key = (path: string) => readFileSync(path, 'utf8');
    const servers: Array<[string, string, string]> = [
      ['self', key(self.key), self.pem],
      ['weak', key(weak.key), weak.pem],
      ['expired', key(expired.key), expired.pem + stranger.pem],
      ['sharedA', key(sharedA.key), sharedA.pem + maker.pem],
      ['sharedB', key(sharedB.key), sharedB.pem],
      ['expiring', key(expiring.key), expiring.pem],
      ['good', key(csr.keyFile), issued.json().chainPem],
    ];
    for (const [name, keyPem, chain] of servers) {
      ep[name] = await serve(keyPem, chain);
      pem[name] = chain;
    }
    unreachable = await closedPort();
  });
  after(async () => {
    await closeAll(Object.values(ep));
    await api.close();
  });

  it('finds what is wrong at each endpoint, records the unreachable one as its error, and nothing for the good one', async () => {
    const targets = [...Object.values(ep).map((e) => e.location), unreachable];
    const run = await scan(api, { targets, expiringWithinDays: 30, concurrency: 3, timeoutMs: 3000 });
    assert.equal(run.status, 'completed');
    assert.equal(run.targetsTotal, 8);
    assert.equal(run.targetsDone, 8);
    assert.equal(run.targetsFailed, 1);
    const failed = run.targets.find((t: Json) => t.target === unreachable);
    assert.equal(failed.outcome, 'error');
    assert.match(failed.error, /connection refused/);

    const findings = await findingsAt(api, `&runId=${run.id}`);
    assert.deepEqual(kindsAt(findings, ep.self.location), ['not-in-inventory', 'self-signed']);
    assert.deepEqual(kindsAt(findings, ep.weak.location), ['not-in-inventory', 'self-signed', 'weak-key', 'weak-signature']);
    assert.deepEqual(kindsAt(findings, ep.expired.location), ['expired', 'not-in-inventory', 'unknown-ca']);
    assert.deepEqual(kindsAt(findings, ep.sharedA.location), ['not-in-inventory', 'shared-key']);
    assert.deepEqual(kindsAt(findings, ep.sharedB.location), ['not-in-inventory', 'shared-key']);
    assert.deepEqual(kindsAt(findings, ep.expiring.location), ['expiring', 'not-in-inventory']);
    assert.deepEqual(kindsAt(findings, ep.good.location), [], 'no finding for the fleetpki certificate in the inventory');
    // CA certificates sent along in chains are recorded, but judged as chain material only.
    assert.equal(findings.filter((f) => f.certificate.isCa && f.certificate.seenAt.every((s: Json) => s.role === 'chain')).length, 0);
  });

  it('links each finding to the certificate openssl made and where it was seen', async () => {
    const findings = await findingsAt(api);
    const weakKey = findings.find((f) => f.kind === 'weak-key')!;
    assert.equal(weakKey.certificate.fingerprintSha256, fingerprint(pem.weak));
    assert.equal(weakKey.certificate.keyType, 'rsa-1024');
    assert.equal(weakKey.certificate.signatureAlgorithm, 'sha1WithRSAEncryption');
    assert.equal(weakKey.severity, 'high');
    assert.deepEqual(weakKey.certificate.seenAt.map((s: Json) => [s.source, s.location, s.role]), [['endpoint', ep.weak.location, 'leaf']]);
    assert.ok(weakKey.certificate.seenAt[0].firstSeenAt <= weakKey.certificate.seenAt[0].lastSeenAt);

    const expired = findings.find((f) => f.kind === 'expired')!;
    assert.equal(expired.certificate.notAfter, '2020-02-01T00:00:00.000Z');
    assert.equal(expired.certificate.trust, 'unknown');

    const shared = findings.filter((f) => f.kind === 'shared-key');
    assert.equal(new Set(shared.map((f) => f.certificate.spkiSha256)).size, 1, 'the two certificates hold one key');
    const [a, b] = shared;
    assert.deepEqual(a.evidence.certificates.map((c: Json) => c.id), [b.certificate.id]);
    assert.equal(a.certificate.trust, 'manufacturer');

    const good = await api.call('GET', `/api/v1/discovery/certificates?fingerprint=${fingerprint(pem.good)}`);
    const [goodCert] = good.json().items;
    assert.equal(goodCert.trust, 'fleetpki');
    assert.equal(goodCert.inventoryCertificateId, goodCertificateId);
  });

  it('a second scan moves last seen and raises no duplicate; a tighter threshold clears "expiring"', async () => {
    const before = await findingsAt(api);
    const run = await scan(api, { targets: Object.values(ep).map((e) => e.location), expiringWithinDays: 5 });
    assert.equal(run.findingsOpened, 0);
    const afterwards = await findingsAt(api);
    assert.deepEqual(afterwards.map((f) => f.id), before.map((f) => f.id));
    const expiring = afterwards.find((f) => f.kind === 'expiring')!;
    assert.equal(expiring.status, 'resolved');
    assert.equal(expiring.resolution, 'cleared');
    assert.equal(expiring.resolvedBy, 'system:discovery');
    const self = afterwards.find((f) => f.kind === 'self-signed' && f.certificate.seenAt[0].location === ep.self.location)!;
    assert.equal(self.status, 'open');
    assert.equal(self.lastRunId, run.id);
    assert.ok(self.lastSeenAt > self.firstSeenAt);

    const events = await api.audit({ action: 'discovery.scan.finish' });
    assert.equal(events.length, 2);
    assert.equal(events[0].details.findingsCleared, 1);
  });

  it('refuses bad targets with every reason at once, and is refused to auditors', async () => {
    const bad = await api.call('POST', '/api/v1/discovery/scans', { body: { targets: ['127.0.0.1:0', 'host name:443', '[::1]:99999'] } });
    assert.equal(bad.statusCode, 400);
    assert.match(errorOf(bad).message, /port must be 1 to 65535.*"host name" is neither an IP address nor a host name.*port must be 1 to 65535/);
    const [refusal] = await api.audit({ action: 'discovery.scan.start', outcome: 'refused' });
    assert.match(String(refusal.details.reason), /port must be/);
    const empty = await api.call('POST', '/api/v1/discovery/scans', { body: { targets: [] } });
    assert.equal(empty.statusCode, 400);
    const auditor = await api.token('auditor');
    const denied = await api.call('POST', '/api/v1/discovery/scans', { body: { targets: [ep.good.location] }, token: auditor });
    assert.equal(denied.statusCode, 403);
    const read = await api.call('GET', '/api/v1/discovery/findings', { token: auditor });
    assert.equal(read.statusCode, 200);
    const missing = await api.call('GET', '/api/v1/discovery/scans/no-such-run');
    assert.equal(missing.statusCode, 404);
  });
});

describe('discovery scan and server shutdown', () => {
  it('closing the server stops a scan: the endpoint in flight is recorded as stopped, the run as interrupted', async () => {
    const api = await openApi();
    // Accepts TCP connections and never answers the TLS handshake.
    const silent = createNetServer();
    const connected = new Promise((resolve) => silent.once('connection', resolve));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const location = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = await api.call('POST', '/api/v1/discovery/scans', { body: { targets: [location], timeoutMs: 60_000 } });
      assert.equal(started.statusCode, 202, started.body);
      await connected;
      const t0 = Date.now();
      await api.app.close();
      assert.ok(Date.now() - t0 < 5000, 'shutdown did not wait for the 60 s timeout');
      const run = (await getRun(api.fleet.ctx.db, started.json().id))!;
      assert.equal(run.status, 'interrupted');
      const [target] = await listRunTargets(api.fleet.ctx.db, run.id);
      assert.match(target.error ?? '', /scan stopped before 127\.0\.0\.1:\d+ answered/);
    } finally {
      silent.close();
      await api.fleet.close();
    }
  });
});
