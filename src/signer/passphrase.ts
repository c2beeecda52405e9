// Where the CA key passphrase comes from, in order: FLEETPKI_KEY_PASSPHRASE, the file named by
// keys.passphraseFile, or <dataDir>/ca-key-passphrase, which `init` creates (mode 0600) so
// that a laptop install works with no setup. Production should move that file off the box
// or use the environment; the value itself is never logged.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';

export interface PassphraseSource {
  value: string;
  /** Where it came from, for logs and `config check`: never the value. */
  origin: string;
  created: boolean;
}

export function defaultPassphraseFile(config: Config): string {
  return join(config.dataDir, 'ca-key-passphrase');
}

export function resolvePassphrase(config: Config, env: NodeJS.ProcessEnv, create: boolean): PassphraseSource {
  if (env.FLEETPKI_KEY_PASSPHRASE) return { value: env.FLEETPKI_KEY_PASSPHRASE, origin: 'environment FLEETPKI_KEY_PASSPHRASE', created: false };
  const file = config.keys.passphraseFile ?? defaultPassphraseFile(config);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length < 12) throw new Error(`the CA key passphrase in ${file} is shorter than 12 characters`);
    return { value, origin: `file ${file}`, created: false };
  }
  if (!create || config.keys.passphraseFile) throw new Error(`no CA key passphrase: set FLEETPKI_KEY_PASSPHRASE or create ${file}`);
  mkdirSync(config.dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, origin: `file ${file} (generated)`, created: true };
}
