// A real Mosquitto broker reads fleetpki's published files: cafile = the CA bundle, crlfile =
// the CRLs. It accepts a device with a fleetpki certificate, and refuses the same device once
// fleetpki has revoked it, republished, and run the reload command (kill -HUP the broker:
// Mosquitto reads its crlfile only at start and on SIGHUP).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { revokeCertificate } from '../../src/app/certificates.ts';
import { caChainPem } from '../../src/app/cas.ts';
import { CrlScheduler } from '../../src/revocation/crl-scheduler.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';
import { issueDevice, issueIdevidDevice, makeManufacturerCa, type Issued } from './harness.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The broker: $MOSQUITTO, else the first mosquitto on PATH, else Debian's /usr/sbin (a daemon's
 * home, which a non-root PATH often lacks).
 */
function findMosquitto(): string | null {
  if (process.env.MOSQUITTO) return existsSync(process.env.MOSQUITTO) ? process.env.MOSQUITTO : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin'];
  return dirs.map((dir) => join(dir, 'mosquitto')).find((path) => existsSync(path)) ?? null;
}

const MOSQUITTO = findMosquitto();
// kill must be a program (the reload command runs without a shell), not only a shell builtin.
const missing = ['mosquitto_pub', 'kill'].filter((tool) => spawnSync(tool, ['--help']).error !== undefined);
const skip = !MOSQUITTO || missing.length > 0
  ? `needs ${[...(MOSQUITTO ? [] : [process.env.MOSQUITTO ? `MOSQUITTO=${process.env.MOSQUITTO} (not found)` : 'mosquitto ($MOSQUITTO, PATH or /usr/sbin)']), ...missing].join(', ')}: apt-get install mosquitto mosquitto-clients`
  : false;
if (skip) console.log(`# skipping the Mosquitto test: ${skip}`);

/** Stops the broker unless it already exited or was killed (then 'exit' has fired: waiting for it would hang). */
async function stopBroker(broker: ChildProcess): Promise<void> {
  if (broker.exitCode !== null || broker.signalCode !== null) return;
  const exited = new Promise<boolean>((resolve) => broker.once('exit', () => resolve(true)));
  broker.kill('SIGTERM');
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 5_000, false).unref());
  if (!(await Promise.race([exited, timeout]))) {
    broker.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

describe('Mosquitto with fleetpki certificates and CRLs', { skip }, () => {
  let fleet: TestFleet;
  let broker: ChildProcess | undefined;
  const brokerLog = () => (existsSync(join(fleet.dir, 'mosquitto.log')) ? readFileSync(join(fleet.dir, 'mosquitto.log'), 'utf8') : '');
  let port: number;
  let device: Issued;
  let idevid: Issued;
  let scheduler: CrlScheduler;

  const publish = (cert: Issued) =>
    spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '--cafile', join(fleet.ctx.config.crl.publishDir!, 'ca-bundle.pem'), '--cert', cert.certFile, '--key', cert.keyFile, '-t', 'fleet/telemetry', '-m', 'hello', '-i', `pub-${cert.row.id}`], { encoding: 'utf8', timeout: 5_000 });

  /** What `openssl s_client` hears from the broker for this certificate; TLS 1.2, where the alert comes in the handshake. */
  const tlsAlert = (cert: Issued) =>
    spawnSync('openssl', ['s_client', '-tls1_2', '-connect', `127.0.0.1:${port}`, '-CAfile', join(fleet.ctx.config.crl.publishDir!, 'ca-bundle.pem'), '-cert', cert.certFile, '-key', cert.keyFile], { input: '', encoding: 'utf8', timeout: 5_000 }).stderr;

  before(async () => {
    fleet = await openTestFleet();
    const publishDir = join(fleet.dir, 'mosquitto');
    fleet.ctx.config.crl.publishDir = publishDir;
    fleet.ctx.config.crl.debounceMs = 50;
    // A maker's CA fleetpki holds, and a device with only its birth certificate (clientAuth).
    await makeManufacturerCa(fleet);
    idevid = await issueIdevidDevice(fleet);
    scheduler = new CrlScheduler(fleet.ctx);
    await scheduler.start(); // publishes ca-bundle.pem and crls.pem

    // The broker's own certificate comes from fleetpki too, for a device record of the broker.
    const server = await issueDevice(fleet, 'tls-server', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
    const certfile = join(fleet.dir, 'broker-chain.pem');
    const chain = await caChainPem(fleet.ctx, 'devices-production');
    writeFileSync(certfile, server.pem + chain.slice(0, chain.lastIndexOf('-----BEGIN CERTIFICATE-----')));
    port = await freePort();
    const config = join(fleet.dir, 'mosquitto.conf');
    writeFileSync(config, [
      'per_listener_settings false',
      'persistence false',
      'allow_anonymous true',
      `user ${userInfo().username}`,
      // A file, not stderr: Mosquitto 2.0.11 stops logging to stderr after a SIGHUP reload.
      `log_dest file ${join(fleet.dir, 'mosquitto.log')}`,
      `listener ${port} 127.0.0.1`,
      `cafile ${join(publishDir, 'ca-bundle.pem')}`,
      `certfile ${certfile}`,
      `keyfile ${server.keyFile}`,
      'require_certificate true',
      `crlfile ${join(publishDir, 'crls.pem')}`,
      '',
    ].join('\n'));
    broker = spawn(MOSQUITTO!, ['-c', config], { stdio: 'ignore' });
    fleet.ctx.config.crl.reloadCommand = ['kill', '-HUP', String(broker.pid)];
    await until(() => listening(port), `the broker listens on ${port}\n${brokerLog()}`);
    device = await issueDevice(fleet);
  });

  after(async () => {
    await scheduler?.stop();
    if (broker) await stopBroker(broker);
    await fleet?.close();
  });

  it('accepts a device with a valid fleetpki certificate', () => {
    const result = publish(device);
    assert.equal(result.status, 0, `mosquitto_pub failed: ${result.stderr}\nbroker:\n${brokerLog()}`);
  });

  it('refuses a device that presents only its IDevID: the published bundle holds no manufacturer CA', () => {
    assert.notEqual(publish(idevid).status, 0, 'an IDevID is a birth certificate, not an enrolment');
    assert.match(tlsAlert(idevid), /unknown ca/);
  });

  it('refuses the device once fleetpki revoked it, republished and ran the reload command (kill -HUP)', async () => {
    // Without a reload the broker keeps the CRLs it read at start: the revoked device still gets in.
    const reload = fleet.ctx.config.crl.reloadCommand;
    fleet.ctx.config.crl.reloadCommand = undefined;
    await revokeCertificate(fleet.ctx, device.row.id, 'keyCompromise', 'test');
    await scheduler.flush();
    assert.equal(publish(device).status, 0, 'Mosquitto has not re-read its crlfile');

    fleet.ctx.config.crl.reloadCommand = reload;
    const second = await issueDevice(fleet);
    assert.equal(publish(second).status, 0);
    await revokeCertificate(fleet.ctx, second.row.id, 'cessationOfOperation', 'test');
    await scheduler.flush();
    await until(() => publish(device).status !== 0, `the broker refuses the revoked device\nbroker:\n${brokerLog()}`);
    assert.notEqual(publish(second).status, 0);
    assert.match(brokerLog(), /certificate verify failed/);
    // mosquitto_pub only says "Protocol error"; the TLS alert the broker sent says why.
    assert.match(tlsAlert(device), /certificate revoked/);
    const other = await issueDevice(fleet);
    assert.equal(publish(other).status, 0, 'a device that is not revoked still gets in');
  });
});
