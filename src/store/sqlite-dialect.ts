// Kysely ships a SqliteDialect that expects a better-sqlite3-like handle. node:sqlite's
// DatabaseSync is close but not the same shape (spread parameters, no `reader` flag,
// Uint8Array instead of Buffer), so this file adapts it: no native addon to build.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { Checkpointer } from './sqlite-checkpointer.ts';

/** Enough for every distinct query the repositories build; bounded so ad-hoc SQL cannot grow it forever. */
const STATEMENT_CACHE_SIZE = 500;

const PRAGMAS = [
  // WAL lets readers (OCSP, API) proceed while a writer commits.
  'PRAGMA journal_mode = WAL',
  // Durable at checkpoint rather than at every commit: safe against corruption in WAL mode,
  // and what makes group commit of issued certificates cheap.
  'PRAGMA synchronous = NORMAL',
  'PRAGMA foreign_keys = ON',
  // Another process (the CLI beside a running server) may hold the write lock briefly.
  'PRAGMA busy_timeout = 5000',
];

/** Commits on one connection before its checkpoints move to a worker thread (sqlite-checkpointer.ts). */
const CHECKPOINTER_AFTER_COMMITS = 64;

export interface SqliteOptions {
  /** Commits before checkpoints move off this thread; null never (an in-memory database has no WAL). */
  checkpointerAfterCommits?: number | null;
}

/** Opens a SQLite file (or ':memory:') and wraps it in Kysely's SqliteDialect. */
export function createSqliteDialect(path: string, options: SqliteOptions = {}): SqliteDialect {
  return new SqliteDialect({ database: openSqliteDatabase(path, options) });
}

export function openSqliteDatabase(path: string, options: SqliteOptions = {}): SqliteDatabase {
  const db = new DatabaseSync(path);
  for (const pragma of PRAGMAS) db.exec(pragma);
  const cache = new Map<string, SqliteStatement>();
  const startAfter = path === ':memory:' ? null : (options.checkpointerAfterCommits ?? CHECKPOINTER_AFTER_COMMITS);
  const checkpointer = startAfter === null ? null : new Checkpointer(path, (frames) => db.exec(`PRAGMA wal_autocheckpoint = ${frames}`));
  let commits = 0;
  const afterCommit = () => {
    if (!checkpointer) return;
    if (++commits === startAfter) checkpointer.start();
    checkpointer.committed();
  };
  return {
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) {
        // Re-insert so the Map's insertion order approximates least-recently-used.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = adaptStatement(db.prepare(sql), /^\s*(commit|end)\b/i.test(sql) ? afterCommit : null);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, stmt);
      return stmt;
    },
    close(): void {
      cache.clear();
      // The worker's connection first, so this one is the last and removes the WAL as before.
      checkpointer?.close();
      db.close();
    },
  };
}

function adaptStatement(stmt: StatementSync, afterRun: (() => void) | null): SqliteStatement {
  // A statement that yields columns (SELECT, INSERT ... RETURNING, some PRAGMAs) must be
  // read with all(); Kysely uses run() for the others to get the affected-row count.
  const reader = stmt.columns().length > 0;
  const params = (p: ReadonlyArray<unknown>) => p as SQLInputValue[];
  return {
    reader,
    all: (p) => stmt.all(...params(p)).map(toPlainRow),
    run: afterRun
      ? (p) => {
          const result = stmt.run(...params(p));
          afterRun();
          return result;
        }
      : (p) => stmt.run(...params(p)),
    *iterate(p) {
      for (const row of stmt.iterate(...params(p))) yield toPlainRow(row);
    },
  };
}

/**
 * node:sqlite returns rows as null-prototype objects with BLOBs as plain Uint8Array; pg
 * returns ordinary objects and Buffers. Rows are copied into the pg shape so callers
 * (and deepStrictEqual in tests) see the same thing from both engines.
 */
function toPlainRow(row: unknown): Record<string, unknown> {
  const source = row as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const key in source) {
    const value = source[key];
    plain[key] =
      value instanceof Uint8Array && !Buffer.isBuffer(value)
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : value;
  }
  return plain;
}
