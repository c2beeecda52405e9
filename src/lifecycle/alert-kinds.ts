// Every kind of alert the lifecycle raises, how severe it is and how it goes away. A
// "condition" alert is resolved by the job that raised it once a complete pass no longer
// finds it; an "event" alert tells of something done (a revocation by policy) and is
// resolved when a person acknowledges it.

import type { AlertSeverity } from '../store/schema.ts';

export interface AlertKind {
  severity: AlertSeverity;
  clears: 'condition' | 'event';
  description: string;
}

export const ALERT_KINDS = {
  'certificate.renewal-due': { severity: 'info', clears: 'condition', description: 'inside its renewal window and not yet renewed' },
  'certificate.renewal-failed': { severity: 'warning', clears: 'condition', description: 'less than the failure fraction of its lifetime left and still not renewed' },
  'certificate.expired': { severity: 'critical', clears: 'condition', description: 'expired without a successor while its device is in service' },
  'certificate.orphan': { severity: 'warning', clears: 'condition', description: 'live certificate whose device is decommissioned, missing or long suspended' },
  'certificate.orphan-revoked': { severity: 'warning', clears: 'event', description: 'orphan revoked by policy' },
  'drift.registered-with-certificate': { severity: 'warning', clears: 'condition', description: 'device still registered although it holds a valid certificate' },
  'drift.held-on-active-device': { severity: 'warning', clears: 'condition', description: 'certificate on hold while its device is active' },
  'drift.active-without-certificate': { severity: 'warning', clears: 'condition', description: 'active device whose certificates are all revoked' },
  'crl.stale': { severity: 'critical', clears: 'condition', description: "a CA's full CRL is missing or past its nextUpdate; for a CA kept offline, also when the next one is due from the offline instance" },
  'ocsp.signer-expiring': { severity: 'warning', clears: 'condition', description: 'the OCSP responder certificate of a CA kept offline has less than a third of its life left, has expired, or was requested and not imported yet' },
  'job.failed': { severity: 'warning', clears: 'condition', description: 'the last run of a lifecycle job failed' },
} as const satisfies Record<string, AlertKind>;

export type AlertKindName = keyof typeof ALERT_KINDS;
export const ALERT_KIND_NAMES = Object.keys(ALERT_KINDS) as AlertKindName[];

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export function atLeast(severity: AlertSeverity, minimum: AlertSeverity): boolean {
  return RANK[severity] >= RANK[minimum];
}
