// The one entry point to the store: parse the URL, open the engine, migrate, hand back Kysely.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, sql, type Dialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { BadRequest } from '../errors.ts';
import { migrationProvider } from './migrations/index.ts';
import { createPostgresDialect } from './postgres.ts';
import type { Database, Engine } from './schema.ts';
import { createSqliteDialect } from './sqlite-dialect.ts';
import { parseStoreUrl, type StoreTarget } from './url.ts';

export { isUniqueViolation } from './unique-violation.ts';

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

export async function openStore(url: string): Promise<Store> {
  const target = parseStoreUrl(url);
  const db = new Kysely<Database>({ dialect: createDialect(target) });
  try {
    const schema = target.engine === 'postgres' ? await preparePostgresSchema(db, target.schema) : undefined;
    await migrate(db, target.engine, schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return { db, engine: target.engine, close: () => (closing ??= db.destroy()) };
}

function createDialect(target: StoreTarget): Dialect {
  if (target.engine === 'postgres') return createPostgresDialect(target);
  if (target.path !== ':memory:') createPrivateFile(target.path);
  return createSqliteDialect(target.path);
}

/**
 * The database holds the sealed CA keys, token hashes and the audit log: readable by the
 * service's user only. The directory (usually the data directory, opened here before init
 * runs) is made 0700 and the file 0600 before SQLite opens it, since SQLite would make it
 * 0644 and gives its -wal and -shm files the database file's mode. What already exists keeps
 * the mode its owner gave it.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/**
 * Creates the requested schema and returns the schema the tables live in. Kysely's
 * Migrator must be told it: otherwise it finds a kysely_migration table in any schema
 * of the database (another tenant, another test run) and believes it is ours.
 */
async function preparePostgresSchema(db: Kysely<Database>, schema: string | null): Promise<string> {
  if (schema) {
    await createSchemaIfMissing(db, schema);
    return schema;
  }
  const { rows } = await sql<{ s: string | null }>`select current_schema() as s`.execute(db);
  const current = rows[0]?.s;
  if (!current) throw new BadRequest('no schema of the search_path exists: add ?schema=<name> to the database URL');
  return current;
}

async function createSchemaIfMissing(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    // Two processes opening at once can both pass "if not exists"; the loser gets a
    // duplicate error although the schema is there, which is all we wanted.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

async function migrate(db: Kysely<Database>, engine: Engine, schema: string | undefined): Promise<void> {
  // Parts of fleetpki add their migrations in parallel under numbers reserved for them, so a
  // database may already hold 009 when 008 arrives; each migration touches its own tables and
  // indexes, so running a late lower number after a higher one is safe, and refusing it would
  // leave such a database unopenable.
  const migrator = new Migrator({ db, provider: migrationProvider(engine), migrationTableSchema: schema, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw new Error(`store migration ${failed} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}
