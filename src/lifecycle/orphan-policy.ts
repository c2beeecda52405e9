// Which live certificates are orphans, and what the policy says to do with each. Pure:
// the job (jobs/orphans.ts) supplies the rows and the suspension times.

import type { LifecycleConfig } from '../config/lifecycle.ts';
import type { OrphanRow } from './certificate-queries.ts';

export type OrphanCause = 'missing' | 'decommissioned' | 'suspended';

export interface OrphanDecision {
  cause: OrphanCause;
  action: 'alert' | 'revoke';
  reason: string;
}

/**
 * A held certificate of a suspended device is what an operator does on purpose, so only a
 * still-valid one counts, and only after the suspension has lasted suspendedForSeconds.
 */
export function orphanCause(row: OrphanRow, suspendedSince: string | null, now: Date, policy: LifecycleConfig['policies']['orphans']): OrphanCause | null {
  if (row.device_status === null) return 'missing';
  if (row.device_status === 'decommissioned') return 'decommissioned';
  if (row.device_status !== 'suspended' || row.status !== 'valid') return null;
  const since = Date.parse(suspendedSince ?? row.device_updated_at ?? '');
  if (Number.isNaN(since)) return null;
  return now.getTime() - since >= policy.suspendedForSeconds * 1000 ? 'suspended' : null;
}

/**
 * The configured action and reason; a device decommissioned as lost or compromised recorded
 * keyCompromise, and an orphan of it is revoked with that, never a milder reason.
 */
export function orphanDecision(cause: OrphanCause, policy: LifecycleConfig['policies']['orphans'], recordedReason: string | null): OrphanDecision {
  const { action, reason } = policy[cause];
  return { cause, action, reason: recordedReason === 'keyCompromise' ? recordedReason : reason };
}
