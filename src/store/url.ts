// One setting (FLEETPKI_DB_URL) picks the engine, so it is parsed here once and every
// mistake in it becomes a BadRequest that names what is wrong.
import { BadRequest } from '../errors.ts';

export type StoreTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; connectionString: string; schema: string | null; options: string | null };

// Lower case only: an unquoted name in search_path is folded to lower case by PostgreSQL,
// so a mixed-case name would create one schema and search another.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseStoreUrl(url: string): StoreTarget {
  const trimmed = url.trim();
  if (trimmed === '') throw new BadRequest('database URL is empty: use sqlite:<path> or postgres://...');
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return parsePostgres(trimmed);
  if (/^sqlite:/i.test(trimmed)) return sqlitePath(trimmed.slice('sqlite:'.length), url);
  // Anything else that looks like scheme://... is a typo or an engine we do not support;
  // a Windows drive letter (C:\) has no slashes after the colon and stays a path.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme) {
    throw new BadRequest(`unsupported database URL scheme "${scheme[1]}:": use sqlite:<path> or postgres://...`);
  }
  return sqlitePath(trimmed, url);
}

function sqlitePath(rest: string, url: string): StoreTarget {
  // sqlite:///abs/file.db is the usual URL spelling of an absolute path.
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '') throw new BadRequest(`database URL "${url}" names no SQLite file`);
  return { engine: 'sqlite', path };
}

function parsePostgres(url: string): StoreTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequest('database URL is not a valid postgres:// URL');
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new BadRequest('postgres database URL names no host');
  }
  const schema = parsed.searchParams.get('schema');
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new BadRequest(`schema "${schema}" in database URL must match ${SCHEMA_NAME.source}`);
  }
  // pg lets a connection string's own options override the config object, so we take
  // the user's options out and pass them back merged with our search_path.
  const options = parsed.searchParams.get('options');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  return { engine: 'postgres', connectionString: parsed.toString(), schema, options };
}
