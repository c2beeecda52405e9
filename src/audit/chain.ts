// The audit log is a hash chain: each event's hash covers its own fields and the previous
// event's hash, so a changed, inserted or deleted event breaks every hash after it.

import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  details: string;
}

export function eventHash(prevHash: string, event: AuditFields): string {
  const canonical = JSON.stringify([event.seq, event.at, event.actor, event.action, event.target, event.outcome, event.details]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

export interface ChainProblem {
  seq: number;
  problem: string;
}

/** Checks one stored event against its predecessor; returns what is wrong, if anything. */
export function checkLink(prev: { seq: number; hash: string }, event: AuditFields & { prev_hash: string; hash: string }): string | null {
  if (event.seq !== prev.seq + 1) return `sequence jumps from ${prev.seq} to ${event.seq}: events were deleted`;
  if (event.prev_hash !== prev.hash) return `does not link to event ${prev.seq}: an event before it was changed or removed`;
  if (eventHash(event.prev_hash, event) !== event.hash) return 'content does not match its hash: the event was changed';
  return null;
}
