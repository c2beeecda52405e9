// The agent's settings, kept in <state>/agent.json by `enroll` so that `renew`, `status`
// and `run` need no flags. Checked by hand where read: the agent carries no schema library.

import { join } from 'node:path';
import { isKeyType, type KeyType } from '../x509/keys.ts';
import { AgentError } from './errors.ts';
import { readIfExists, writeFileAtomic } from './files.ts';

export interface AgentSettings {
  v: 1;
  /** EST server base URL, https://host:port (the /.well-known/est path is added). */
  server: string;
  /** EST label (RFC 7030 3.2.2): which profile the server enrols under; null for the default. */
  label: string | null;
  /** The device's serial: subject serialNumber of its requests, as in its IDevID. */
  serial: string;
  /** When in the lifetime to renew if the server sent no renewal point with the certificate (Fleetpki-Renew-After). */
  renewAfter: number;
  /** Fraction of the time left after the renewal point to spread renewals over. */
  jitter: number;
  /** Type of the keys the agent generates (ignored with keyCommand). */
  keyType: KeyType;
  /** External signer holding the key (see docs/agent.md); null: keys in key.pem. */
  keyCommand: string | null;
  /** The device's IEEE 802.1AR birth certificate and key, to enrol again after expiry. */
  idevid: { cert: string; key: string } | null;
}

export const SETTINGS_FILE = 'agent.json';

function fraction(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) throw new AgentError(`${name} must be a number from ${min} to ${max}`);
  return value;
}

export function checkSettings(raw: Record<string, unknown>): AgentSettings {
  const text = (key: string) => {
    const value = raw[key];
    if (typeof value !== 'string' || value.length === 0) throw new AgentError(`${SETTINGS_FILE}: ${key} must be a non-empty string`);
    return value;
  };
  const server = text('server').replace(/\/+$/, '');
  if (!/^https:\/\/[^/\s]+$/.test(server)) throw new AgentError(`server must be https://host[:port], got ${server}`);
  const keyType = text('keyType');
  if (!isKeyType(keyType)) throw new AgentError(`keyType ${keyType} is not one of ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096`);
  const label = raw.label ?? null;
  if (label !== null && (typeof label !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(label))) throw new AgentError('label must be letters, digits, dot, dash or underscore');
  const idevid = raw.idevid as { cert?: unknown; key?: unknown } | null | undefined;
  if (idevid && (typeof idevid.cert !== 'string' || typeof idevid.key !== 'string')) throw new AgentError('idevid needs both cert and key paths');
  return {
    v: 1,
    server,
    label: label as string | null,
    serial: text('serial'),
    renewAfter: fraction(raw.renewAfter, 'renewAfter', 0.01, 0.99),
    jitter: fraction(raw.jitter, 'jitter', 0, 1),
    keyType,
    keyCommand: typeof raw.keyCommand === 'string' && raw.keyCommand.length > 0 ? raw.keyCommand : null,
    idevid: idevid ? { cert: idevid.cert as string, key: idevid.key as string } : null,
  };
}

export function readSettings(stateDir: string): AgentSettings {
  const bytes = readIfExists(join(stateDir, SETTINGS_FILE));
  if (!bytes) throw new AgentError(`no ${SETTINGS_FILE} in ${stateDir}: run \`fleetpki-agent enroll\` first`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AgentError(`${join(stateDir, SETTINGS_FILE)} is not valid JSON`);
  }
  if (!raw || typeof raw !== 'object') throw new AgentError(`${SETTINGS_FILE} must hold an object`);
  return checkSettings(raw as Record<string, unknown>);
}

export function writeSettings(stateDir: string, settings: AgentSettings): void {
  writeFileAtomic(join(stateDir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`);
}
