import { verifyAudit, type VerifyResult } from '../audit/log.ts';
import { BadRequest } from '../errors.ts';
import { MAX_PAGE_LIMIT } from '../store/repos/page.ts';
import type { Context } from './context.ts';
import { auditView, type AuditView } from './views.ts';

export interface AuditFilter {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: 'success' | 'refused' | 'error';
  /** ISO timestamps. */
  since?: string;
  until?: string;
}

/** Newest first; `before` is the seq of the last event of the previous page. */
export async function listAudit(ctx: Context, filter: AuditFilter, page: { limit: number; before?: number }): Promise<{ items: AuditView[]; nextCursor: number | null }> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE_LIMIT) throw new BadRequest(`limit must be 1 to ${MAX_PAGE_LIMIT}`);
  let query = ctx.db.selectFrom('audit_events').selectAll();
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.target) query = query.where('target', '=', filter.target);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.since) query = query.where('at', '>=', filter.since);
  if (filter.until) query = query.where('at', '<', filter.until);
  if (page.before !== undefined) query = query.where('seq', '<', page.before);
  const rows = await query.orderBy('seq', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit).map(auditView);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].seq : null };
}

export function verifyAuditChain(ctx: Context): Promise<VerifyResult> {
  return verifyAudit(ctx.db);
}
