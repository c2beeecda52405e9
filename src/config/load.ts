// Configuration = defaults, overlaid by a file (YAML or JSON), then FLEETPKI_* environment
// variables, then CLI flags; validated once. Every problem is reported, not only the first.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Overrides given as CLI flags; each has an environment twin. */
export interface ConfigOverrides {
  config?: string;
  dataDir?: string;
  db?: string;
  listen?: string;
  publicUrl?: string;
  logLevel?: string;
  /** host:port of the EST listener. */
  estListen?: string;
}

type Raw = Record<string, any>;

function readFile(path: string): Raw {
  if (!existsSync(path)) throw new ConfigError(path, [`file not found: ${path}`]);
  const text = readFileSync(path, 'utf8');
  try {
    const parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level must be a mapping');
    return parsed;
  } catch (error) {
    throw new ConfigError(path, [`cannot parse: ${(error as Error).message}`]);
  }
}

function parseListen(value: string, problems: string[]): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  if (!match) {
    problems.push(`listen "${value}" must be host:port, e.g. 127.0.0.1:7080`);
    return undefined;
  }
  return { host: match[1] ?? match[2], port: Number(match[3]) };
}

function overlay(raw: Raw, values: ConfigOverrides & { passphraseFile?: string; scryptLog2N?: string; bodyLimit?: string }, problems: string[]): void {
  if (values.dataDir) raw.dataDir = values.dataDir;
  if (values.db) raw.db = values.db;
  if (values.publicUrl) raw.publicUrl = values.publicUrl;
  if (values.logLevel) raw.logLevel = values.logLevel;
  if (values.listen) raw.listen = { ...raw.listen, ...parseListen(values.listen, problems) };
  if (values.estListen) raw.est = { ...raw.est, ...parseListen(values.estListen, problems) };
  if (values.passphraseFile) raw.keys = { ...raw.keys, passphraseFile: values.passphraseFile };
  if (values.scryptLog2N) raw.keys = { ...raw.keys, scryptLog2N: Number(values.scryptLog2N) };
  if (values.bodyLimit) raw.bodyLimitBytes = Number(values.bodyLimit);
}

function fromEnv(env: NodeJS.ProcessEnv) {
  return {
    dataDir: env.FLEETPKI_DATA_DIR,
    db: env.FLEETPKI_DB_URL,
    listen: env.FLEETPKI_LISTEN,
    estListen: env.FLEETPKI_EST_LISTEN,
    publicUrl: env.FLEETPKI_PUBLIC_URL,
    logLevel: env.FLEETPKI_LOG_LEVEL,
    passphraseFile: env.FLEETPKI_KEY_PASSPHRASE_FILE,
    scryptLog2N: env.FLEETPKI_SCRYPT_LOG2N,
    bodyLimit: env.FLEETPKI_BODY_LIMIT_BYTES,
  };
}

function describe(errors: Iterable<{ instancePath: string; message: string; params?: unknown }>): string[] {
  const out: string[] = [];
  for (const error of errors) {
    const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
    // Name the unknown keys: "must not have additional properties" alone leaves the operator guessing which.
    const extra = (error.params as { additionalProperties?: unknown } | undefined)?.additionalProperties;
    const names = Array.isArray(extra) ? `: ${extra.join(', ')}` : '';
    if (error.message !== 'schema is false') out.push(`${where}: ${error.message}${names}`);
  }
  return out;
}

export function loadConfig(flags: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = flags.config ?? env.FLEETPKI_CONFIG;
  const raw: Raw = file ? readFile(file) : {};
  const problems: string[] = [];
  overlay(raw, fromEnv(env), problems);
  overlay(raw, flags, problems);
  const withDefaults = Value.Default(ConfigSchema, raw) as Raw;
  problems.push(...describe(Value.Errors(ConfigSchema, withDefaults)));
  if (problems.length > 0) throw new ConfigError(file ?? 'environment and flags', problems);
  const config = withDefaults as Config;
  config.dataDir = resolve(config.dataDir);
  config.db ??= `sqlite:${resolve(config.dataDir, 'fleetpki.db')}`;
  config.publicUrl = (config.publicUrl ?? `http://${config.listen.host}:${config.listen.port}`).replace(/\/+$/, '');
  return config;
}
