// What the tests of a factory line's issuing CA kept offline share: two data directories
// (the offline instance that holds the keys, the online one that knows the CAs by their
// certificates only), a line CA created offline with a profile issuing from it, the line's
// devices registered on both sides and their certificates signed offline and imported online,
// and the online `serve` started as a real process on a free port.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, MAIN, NODE, ok, ROOT, type fleet } from '../cli/run.ts';

type Fleet = ReturnType<typeof fleet>;

export interface ServeProcess {
  stop(): Promise<void>;
}

/** `fleetpki serve` for `dataDir`, up once `${base}/healthz` answers (30 s at most). */
export async function startServe(dataDir: string, env: Record<string, string>, base: string): Promise<ServeProcess> {
  let output = '';
  const server: ChildProcess = spawn(NODE, [MAIN, 'serve', '--data-dir', dataDir], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((r) => setTimeout(r, 100))) {
    if (server.exitCode !== null) break;
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return { stop };
  }
  await stop();
  throw new Error(`serve not up:\n${output}`);
}

export interface OfflineLine {
  dir: string;
  /** The folder that crosses the air gap. */
  usb: string;
  offline: Fleet;
  online: Fleet;
  /** The online instance's URL, written into the certificates signed offline. */
  base: string;
  /** Device serials of the line, each given a certificate. */
  serials: string[];
}

/**
 * Offline: CA `line-ca` under fleet-root and profile `line-gateway` issuing from it; their
 * chains written to usb/root.pem and usb/line-ca.pem. Online: both CAs imported without keys,
 * the profile, the devices. Then the line's CSRs signed offline (`batch sign`) and imported
 * online (`cert import --bundle`).
 */
export async function setUpOfflineLine({ dir, usb, offline, online, base, serials }: OfflineLine): Promise<void> {
  const onUsb = (name: string) => join(usb, name);
  await ok(offline.run('ca', 'create', '--name', 'line-ca', '--parent', 'fleet-root', '--validity-days', '365', '--common-name', 'Line 3 Gateway CA', '--organization', 'Fleet'));
  const profile = { ...(await offline.json('profile', 'show', 'gateway')), name: 'line-gateway', ca: 'line-ca' };
  writeFileSync(join(dir, 'line-gateway.json'), JSON.stringify(profile));
  await ok(offline.run('profile', 'set', join(dir, 'line-gateway.json')));
  writeFileSync(onUsb('root.pem'), await ok(offline.run('ca', 'chain', 'fleet-root')));
  writeFileSync(onUsb('line-ca.pem'), await ok(offline.run('ca', 'chain', 'line-ca')));

  await ok(online.run('ca', 'import-root', '--name', 'offline-root', '--cert', onUsb('root.pem')));
  await ok(online.run('ca', 'import-issuing', '--name', 'line-ca', '--cert', onUsb('line-ca.pem')));
  await ok(online.run('profile', 'set', join(dir, 'line-gateway.json')));
  const csv = join(dir, 'devices.csv');
  writeFileSync(csv, `serial,class,environment\n${serials.map((s) => `${s},gateway,production\n`).join('')}`);
  await ok(offline.run('device', 'import', csv));
  await ok(online.run('device', 'import', csv));

  const csrs = join(dir, 'line');
  mkdirSync(csrs, { recursive: true });
  for (const serial of serials) {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${serial}.key`), '-subj', `/serialNumber=${serial}`, '-out', join(csrs, `${serial}.csr`)], { stdio: 'ignore' });
  }
  await ok(offline.run('--public-url', base, 'batch', 'sign', '--csr', csrs, '--profile', 'line-gateway', '--out', onUsb('line')));
  await ok(online.run('cert', 'import', '--bundle', onUsb('line')));
}
