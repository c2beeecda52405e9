// Hot-path queries built and compiled once per dialect, then run with fresh parameters.
// Kysely builds an immutable query tree and compiles it to SQL on every call; on the issuing
// path that was about a tenth of the main thread, for SQL text that never changes.
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.ts';

/** SQL text by dialect adapter (SQLite's ?, PostgreSQL's $n placeholders), then by query name. */
const compiled = new WeakMap<object, Map<string, string>>();

/**
 * Runs the query `name` with `parameters`. `build` makes it, with placeholder values, the
 * first time on this dialect; its parameters must come out in the order of `parameters`.
 */
export function executeCompiled<R>(db: Kysely<Database>, name: string, build: () => Compilable<R>, parameters: readonly unknown[]): Promise<QueryResult<R>> {
  const adapter = db.getExecutor().adapter;
  let byName = compiled.get(adapter);
  if (!byName) compiled.set(adapter, (byName = new Map()));
  let text = byName.get(name);
  if (text === undefined) {
    const query = build().compile();
    if (query.parameters.length !== parameters.length) throw new Error(`compiled query ${name} takes ${query.parameters.length} parameters, not ${parameters.length}`);
    text = query.sql;
    byName.set(name, text);
  }
  return db.executeQuery(CompiledQuery.raw(text, [...parameters]) as CompiledQuery<R>);
}
