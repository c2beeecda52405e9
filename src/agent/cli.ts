// `fleetpki-agent` commands: enroll, renew, status, run. Arguments are read with
// node:util parseArgs (the agent carries no CLI library). run() returns the exit status:
// 0 success, 1 the operation failed, 2 bad command line.

import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseCertificate } from '../x509/certificate.ts';
import { isKeyType } from '../x509/keys.ts';
import { nameAttribute } from '../x509/name.ts';
import { DEFAULT_BACKOFF, runDaemon } from './daemon.ts';
import { AgentError } from './errors.ts';
import { runHookCommand } from './hook.ts';
import { lockStateDir, withLock } from './lock.ts';
import { createLog, type Level } from './log.ts';
import { enrollWithIdevid, enrollWithToken, renew } from './operations.ts';
import { checkSettings, readSettings, writeSettings, type AgentSettings } from './settings.ts';
import { StateDir } from './state.ts';
import { humanStatus, statusOf } from './status.ts';
import { verifyFirmwareCommand } from './verify-firmware.ts';

export class UsageError extends Error {}

export const USAGE = `Usage: fleetpki-agent <command> [options]

Commands:
  enroll   first enrolment: --server, --ca, and a bootstrap token or an IDevID
  renew    renew the certificate now (EST simplereenroll with the current one)
  status   show the certificate and when it will be renewed (exit 1 when expired or not enrolled)
  run      keep the certificate current: renew in the window, back off, re-bootstrap after expiry
  verify-firmware  check a firmware update before installing it (verify-firmware --help)

Common option:
  --state-dir <dir>     where key, certificate, chain and CA bundle live
                        (env FLEETPKI_AGENT_STATE_DIR, default /var/lib/fleetpki-agent)

enroll options:
  --server <url>        EST server, https://host:port
  --ca <file>           PEM bundle the server's TLS certificate must chain to (pinned)
  --label <label>       EST label (the profile), e.g. sensor
  --serial <serial>     device serial (default: the IDevID's subject serialNumber)
  --token <token>       one-time bootstrap token (or --token-file, or env FLEETPKI_AGENT_TOKEN)
  --token-file <file>   read the bootstrap token from a file
  --idevid-cert <file>  IEEE 802.1AR birth certificate (kept for re-bootstrap after expiry)
  --idevid-key <file>   its private key
  --key-type <type>     ec-p256 (default), ec-p384, ed25519, rsa-2048, rsa-3072
  --key-command <cmd>   external signer holding the key (see docs/agent.md)
  --renew-after <f>     renew after this fraction of the lifetime when the server sends no
                        renewal point (a fleetpki server sends its own; default 0.66)
  --jitter <f>          spread renewals over this fraction of the rest (default 0.2)

run options:
  --backoff-base <ms>   first retry delay (default 5000)
  --backoff-max <ms>    longest retry delay (default 900000)
  --on-renew <cmd>      shell command run after every new certificate (e.g. reload a service)
  --log-level <level>   debug, info (default), warn, error

Examples:
  fleetpki-agent enroll --server https://pki.example.com:8443 --ca root.pem --label sensor \\
      --serial SN-0042 --token-file /run/bootstrap-token --idevid-cert idevid.pem --idevid-key idevid.key
  fleetpki-agent run --on-renew 'systemctl reload mosquitto'
  fleetpki-agent status --json`;

const OPTIONS = {
  'state-dir': { type: 'string' },
  server: { type: 'string' },
  ca: { type: 'string' },
  label: { type: 'string' },
  serial: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'idevid-cert': { type: 'string' },
  'idevid-key': { type: 'string' },
  'key-type': { type: 'string' },
  'key-command': { type: 'string' },
  'renew-after': { type: 'string' },
  jitter: { type: 'string' },
  'backoff-base': { type: 'string' },
  'backoff-max': { type: 'string' },
  'on-renew': { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

function stateOf(values: Values, env: NodeJS.ProcessEnv): StateDir {
  return new StateDir(values['state-dir'] ?? env.FLEETPKI_AGENT_STATE_DIR ?? '/var/lib/fleetpki-agent');
}

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
  return n;
}

function need(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`enroll needs --${name}`);
  return value;
}

/** The device serial: given, or read from the IDevID's subject serialNumber (IEEE 802.1AR). */
function serialOf(values: Values): string {
  if (values.serial) return values.serial;
  if (!values['idevid-cert']) throw new UsageError('enroll needs --serial (or an --idevid-cert whose subject has a serialNumber)');
  const serial = nameAttribute(parseCertificate(readFileSync(values['idevid-cert'])).subjectDer, 'serialNumber');
  if (!serial) throw new UsageError('the IDevID subject has no serialNumber: give --serial');
  return serial;
}

function tokenOf(values: Values, env: NodeJS.ProcessEnv): string | null {
  if (values.token) return values.token;
  if (values['token-file']) return readFileSync(values['token-file'], 'utf8').trim();
  return env.FLEETPKI_AGENT_TOKEN ?? null;
}

function enrollSettings(values: Values): AgentSettings {
  const keyType = values['key-type'] ?? 'ec-p256';
  if (!isKeyType(keyType)) throw new UsageError(`--key-type ${keyType} is not one of ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096`);
  if (Boolean(values['idevid-cert']) !== Boolean(values['idevid-key'])) throw new UsageError('--idevid-cert and --idevid-key go together');
  return checkSettings({
    server: need(values, 'server'),
    label: values.label ?? null,
    serial: serialOf(values),
    renewAfter: number(values['renew-after'], 'renew-after', 0.66),
    jitter: number(values.jitter, 'jitter', 0.2),
    keyType,
    keyCommand: values['key-command'] ?? null,
    idevid: values['idevid-cert'] ? { cert: values['idevid-cert'], key: values['idevid-key']! } : null,
  });
}

async function enroll(values: Values, io: Io): Promise<number> {
  const settings = enrollSettings(values);
  const token = tokenOf(values, io.env);
  if (!token && !settings.idevid) throw new UsageError('enroll needs a bootstrap token (--token, --token-file, FLEETPKI_AGENT_TOKEN) or an IDevID (--idevid-cert, --idevid-key)');
  const state = stateOf(values, io.env);
  state.create();
  const cert = await withLock(state.dir, () => {
    state.writeCaBundle(readFileSync(need(values, 'ca'), 'utf8'));
    writeSettings(state.dir, settings);
    return token ? enrollWithToken(settings, state, token) : enrollWithIdevid(settings, state);
  });
  io.out(`enrolled: ${cert.info.subject}, serial ${cert.info.serialHex}, valid until ${cert.info.notAfter.toISOString()}\n`);
  return 0;
}

async function renewNow(values: Values, io: Io): Promise<number> {
  const state = stateOf(values, io.env);
  const settings = readSettings(state.dir);
  const cert = await withLock(state.dir, () => {
    const current = state.current();
    if (!current) throw new AgentError('not enrolled: run fleetpki-agent enroll first');
    return renew(settings, state, current);
  });
  io.out(`renewed: serial ${cert.info.serialHex}, valid until ${cert.info.notAfter.toISOString()}\n`);
  return 0;
}

function status(values: Values, io: Io): number {
  const state = stateOf(values, io.env);
  const report = statusOf(readSettings(state.dir), state.current(), new Date());
  io.out(`${values.json ? JSON.stringify(report, null, 2) : humanStatus(report)}\n`);
  return report.standing === 'valid' || report.standing === 'renewal-due' ? 0 : 1;
}

async function daemon(values: Values, io: Io): Promise<number> {
  const state = stateOf(values, io.env);
  const settings = readSettings(state.dir);
  const level = (values['log-level'] ?? 'info') as Level;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError('--log-level must be debug, info, warn or error');
  const log = createLog(io.out, level);
  const backoff = { baseMs: number(values['backoff-base'], 'backoff-base', DEFAULT_BACKOFF.baseMs), maxMs: number(values['backoff-max'], 'backoff-max', DEFAULT_BACKOFF.maxMs) };
  const hook = values['on-renew'];
  const release = lockStateDir(state.dir);
  log.info('agent started', { stateDir: state.dir, server: settings.server, label: settings.label });
  await runDaemon(settings, state, {
    backoff,
    maxSleepMs: 10 * 60_000,
    log,
    signal: io.signal ?? new AbortController().signal,
    onInstalled: hook ? (cert, how) => runHookCommand(hook, { FLEETPKI_AGENT_EVENT: how, FLEETPKI_AGENT_CERT: state.path('cert.pem'), FLEETPKI_AGENT_SERIAL: cert.info.serialHex }, log) : undefined,
  }).finally(release);
  log.info('agent stopped');
  return 0;
}

const COMMANDS: Record<string, (values: Values, io: Io) => Promise<number> | number> = { enroll, renew: renewNow, status, run: daemon };

export async function run(argv: string[], io: Io): Promise<number> {
  // Its own options (src/agent/verify-firmware.ts), so it is dispatched before the shared parse.
  if (argv[0] === 'verify-firmware') return verifyFirmwareCommand(argv.slice(1), io);
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const command = COMMANDS[positionals[0] ?? ''];
    if (values.help || !command) {
      (values.help ? io.out : io.err)(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    return await command(values, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`fleetpki-agent: ${(error as Error).message}\n(add --help for usage)\n`);
      return 2;
    }
    io.err(`fleetpki-agent: ${(error as Error).message}\n`);
    return 1;
  }
}
