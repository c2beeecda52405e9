// Stores the findings computed for one certificate. A finding seen again is updated (its
// status kept: a dismissed finding stays dismissed); a new one is opened; an open one whose
// condition no longer holds (a manufacturer anchor registered since, "expiring" now
// "expired") is closed as cleared, and opened again should the condition return.

import type { Kysely } from 'kysely';
import { newId } from '../ids.ts';
import { findingsOf, insertFinding, updateFinding, type FindingRow } from '../store/repos/discovery-findings.ts';
import type { Database } from '../store/schema.ts';
import { FINDING_KINDS, type FindingDraft, type FindingKind } from './kinds.ts';

export const SYSTEM_ACTOR = 'system:discovery';

export interface ApplyCounts {
  opened: number;
  cleared: number;
}

export interface ApplyInput {
  certificateId: string;
  drafts: FindingDraft[];
  /** The kinds this analysis judged; open findings of other kinds are left alone. */
  judged: readonly FindingKind[];
  runId: string;
  now: string;
}

async function refresh(trx: Kysely<Database>, row: FindingRow, draft: FindingDraft, input: ApplyInput): Promise<void> {
  const reopen = row.resolution === 'cleared';
  await updateFinding(trx, row.id, {
    summary: draft.summary,
    evidence: JSON.stringify(draft.evidence),
    last_seen_at: input.now,
    last_run_id: input.runId,
    ...(reopen ? { status: 'open', resolution: null, resolution_details: null, resolved_by: null, resolved_at: null } : {}),
  });
}

async function clear(trx: Kysely<Database>, row: FindingRow, input: ApplyInput): Promise<void> {
  await updateFinding(trx, row.id, {
    status: 'resolved',
    resolution: 'cleared',
    resolution_details: JSON.stringify({ reason: 'the condition no longer holds', runId: input.runId }),
    resolved_by: SYSTEM_ACTOR,
    resolved_at: input.now,
  });
}

/** Returns what changed, counted per call so that a retried group commit cannot count twice. */
export async function applyFindings(trx: Kysely<Database>, input: ApplyInput): Promise<ApplyCounts> {
  const counts: ApplyCounts = { opened: 0, cleared: 0 };
  const existing = new Map((await findingsOf(trx, [input.certificateId])).map((f) => [f.kind, f]));
  for (const draft of input.drafts) {
    const row = existing.get(draft.kind);
    if (row) {
      await refresh(trx, row, draft, input);
      if (row.resolution === 'cleared') counts.opened++;
      continue;
    }
    counts.opened++;
    await insertFinding(trx, {
      id: newId(),
      certificate_id: input.certificateId,
      kind: draft.kind,
      severity: FINDING_KINDS[draft.kind],
      status: 'open',
      summary: draft.summary,
      evidence: JSON.stringify(draft.evidence),
      last_run_id: input.runId,
      first_seen_at: input.now,
      last_seen_at: input.now,
      resolution: null,
      resolution_details: null,
      resolved_by: null,
      resolved_at: null,
    });
  }
  const found = new Set(input.drafts.map((d) => d.kind));
  for (const row of existing.values()) {
    if (row.status === 'open' && !found.has(row.kind as FindingKind) && input.judged.includes(row.kind as FindingKind)) {
      await clear(trx, row, input);
      counts.cleared++;
    }
  }
  return counts;
}
