// The EST server's own TLS certificate comes from fleetpki: issued at first start through the
// normal path, reused across restarts while good, replaced when due (in place, while
// serving), and refused like any request when the profile does not allow its names.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import { startEstServer, type EstServer } from '../../src/est/server.ts';
import { SERVER_DEVICE_SERIAL } from '../../src/est/tls-identity.ts';
import { getDeviceBySerial } from '../../src/store/repos/devices.ts';
import { openTestFleet, opensslVerify, writeChainFiles, type TestFleet } from '../helpers/context.ts';
import { opensslSummary, pemOf } from '../helpers/openssl.ts';

let fleet: TestFleet;
before(async () => {
  fleet = await openTestFleet({ estListen: '127.0.0.1:0' });
});
after(() => fleet.close());

/** The serial of the certificate a new TLS connection is shown (hex, no leading zeros), checked against fleetpki's root. */
async function servedSerial(server: EstServer): Promise<string> {
  const { root } = await writeChainFiles(fleet);
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readFileSync(root) }, () => {
      // Node pads the hex to whole bytes; the inventory's serial_hex may start with a lone nibble: compare without leading zeros.
      resolve(socket.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, ''));
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('issued at first start for the server device, reused after a restart, key sealed in a 0600 file', async () => {
  const first = await startEstServer(fleet.ctx);
  const issued = first.identity().certificate;
  await first.close();
  const device = await getDeviceBySerial(fleet.ctx.db, SERVER_DEVICE_SERIAL);
  assert.equal(issued.device_id, device?.id);
  assert.equal(issued.profile, 'tls-server');
  assert.deepEqual(JSON.parse(issued.sans), ['dns:localhost', 'ip:127.0.0.1']);
  const chain = await writeChainFiles(fleet);
  assert.match(opensslVerify(chain, pemOf(issued.der), fleet.dir, ['-purpose', 'sslserver']), /OK/);
  const keyFile = join(fleet.dir, 'est', 'tls-key.json');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(keyFile, 'utf8'), /PRIVATE KEY/, 'the key is sealed, not PEM');

  const second = await startEstServer(fleet.ctx);
  try {
    assert.equal(second.identity().certificate.id, issued.id, 'reused while valid');
    assert.equal(await servedSerial(second), issued.serial_hex.replace(/^0+/, ''));
  } finally {
    await second.close();
  }
});

test('renewed when due, in place: new connections get the new certificate, which replaces the old', async () => {
  const server = await startEstServer(fleet.ctx);
  try {
    const old = server.identity().certificate;
    const renewed = await server.renew(new Date(Date.parse(old.renew_after) + 1000));
    assert.notEqual(renewed.certificate.id, old.id);
    assert.equal(renewed.certificate.replaces_id, old.id);
    assert.notEqual(renewed.certificate.spki_sha256, old.spki_sha256, 'a new key with the new certificate');
    assert.equal(await servedSerial(server), renewed.certificate.serial_hex.replace(/^0+/, ''));
    assert.equal(opensslSummary(pemOf(renewed.certificate.der)).subject, opensslSummary(pemOf(old.der)).subject);
  } finally {
    await server.close();
  }
});

test('server names the tls-server profile does not allow: the server does not start, and says why', async () => {
  const names = fleet.ctx.config.est.serverNames;
  fleet.ctx.config.est.serverNames = ['est.example.com'];
  try {
    await assert.rejects(startEstServer(fleet.ctx), /SAN dns:est\.example\.com is not allowed by profile tls-server/);
  } finally {
    fleet.ctx.config.est.serverNames = names;
  }
});
