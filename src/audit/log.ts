// Appending to and verifying the audit chain. Appends run inside the caller's transaction so
// an action and its audit event commit together (or not at all).

import type { Kysely } from 'kysely';
import type { Database, Engine } from '../store/schema.ts';
import { checkLink, eventHash, GENESIS_HASH, type ChainProblem } from './chain.ts';

export type Outcome = 'success' | 'refused' | 'error';

export interface AuditEvent {
  actor: string;
  action: string;
  target?: string | null;
  outcome: Outcome;
  details?: Record<string, unknown>;
}

async function lockHead(trx: Kysely<Database>, engine: Engine): Promise<{ seq: number; hash: string }> {
  await trx.insertInto('audit_head').values({ id: 1, seq: 0, hash: GENESIS_HASH }).onConflict((oc) => oc.column('id').doNothing()).execute();
  // PostgreSQL: several instances may append at once; the row lock orders them. SQLite's
  // write transaction is already exclusive.
  let query = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (engine === 'postgres') query = query.forUpdate();
  const head = await query.executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

/** Appends events in order; must run inside a transaction. */
export async function appendAudit(trx: Kysely<Database>, engine: Engine, events: AuditEvent[], now = new Date()): Promise<void> {
  if (events.length === 0) return;
  let head = await lockHead(trx, engine);
  const rows = events.map((event) => {
    const fields = {
      seq: head.seq + 1,
      at: now.toISOString(),
      actor: event.actor,
      action: event.action,
      target: event.target ?? null,
      outcome: event.outcome,
      details: JSON.stringify(event.details ?? {}),
    };
    const hash = eventHash(head.hash, fields);
    const row = { ...fields, prev_hash: head.hash, hash };
    head = { seq: fields.seq, hash };
    return row;
  });
  for (let i = 0; i < rows.length; i += 200) await trx.insertInto('audit_events').values(rows.slice(i, i + 200)).execute();
  await trx.updateTable('audit_head').set({ seq: head.seq, hash: head.hash }).where('id', '=', 1).execute();
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  problems: ChainProblem[];
}

/** Walks the whole chain in pages; reports every broken link and a truncated tail. */
export async function verifyAudit(db: Kysely<Database>, pageSize = 5000): Promise<VerifyResult> {
  const problems: ChainProblem[] = [];
  let prev = { seq: 0, hash: GENESIS_HASH };
  let count = 0;
  for (;;) {
    const page = await db.selectFrom('audit_events').selectAll().where('seq', '>', prev.seq).orderBy('seq').limit(pageSize).execute();
    for (const raw of page) {
      const event = { ...raw, seq: Number(raw.seq) };
      const problem = checkLink(prev, event);
      if (problem) problems.push({ seq: event.seq, problem });
      prev = { seq: event.seq, hash: event.hash };
      count++;
    }
    if (page.length < pageSize) break;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (head && (Number(head.seq) !== prev.seq || head.hash !== prev.hash)) {
    problems.push({ seq: Number(head.seq), problem: `the chain ends at event ${prev.seq} but ${head.seq} were written: events at the end were deleted` });
  }
  return { ok: problems.length === 0, events: count, problems };
}

