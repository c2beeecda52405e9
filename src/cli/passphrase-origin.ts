// Where the CA key passphrase comes from, for people: the same order as
// src/signer/passphrase.ts, but only the source is looked at, never the value.

import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { defaultPassphraseFile } from '../signer/passphrase.ts';

export interface PassphraseOrigin {
  source: 'environment' | 'file';
  /** The variable name or the file path. */
  where: string;
  exists: boolean;
  /** True when init/serve would generate the file (only the default file is generated). */
  generated: boolean;
}

export function passphraseOrigin(config: Config, env: NodeJS.ProcessEnv = process.env): PassphraseOrigin {
  if (env.FLEETPKI_KEY_PASSPHRASE) return { source: 'environment', where: 'FLEETPKI_KEY_PASSPHRASE', exists: true, generated: false };
  const file = config.keys.passphraseFile ?? defaultPassphraseFile(config);
  const exists = existsSync(file);
  return { source: 'file', where: file, exists, generated: !exists && !config.keys.passphraseFile };
}

export function describeOrigin(origin: PassphraseOrigin): string {
  if (origin.source === 'environment') return 'environment variable FLEETPKI_KEY_PASSPHRASE';
  if (origin.exists) return `file ${origin.where}`;
  if (origin.generated) return `file ${origin.where} (does not exist yet; init generates it)`;
  return `file ${origin.where} (MISSING: create it or set FLEETPKI_KEY_PASSPHRASE)`;
}
