// The findings discovery can raise, each with the severity it starts at. One table, so the
// API's filters, the CLI's choices and the docs name the same kinds.

import type { FindingSeverity } from '../store/schema.ts';

export const FINDING_KINDS = {
  /** Claims a fleetpki CA as issuer, but fleetpki's issuance ledger has no such certificate. */
  unauthorised: 'critical',
  expired: 'high',
  /** RSA under 2048 bits, DSA. */
  'weak-key': 'high',
  /** The same key in certificates seen at different places, or in another device's inventory certificate. */
  'shared-key': 'high',
  /** The same certificate seen at different places. */
  'shared-certificate': 'high',
  /** MD5 or SHA-1 signature. */
  'weak-signature': 'medium',
  'self-signed': 'medium',
  /** Chains to neither a fleetpki CA nor a registered manufacturer anchor. */
  'unknown-ca': 'medium',
  /** Not expired yet, but within the run's threshold. */
  expiring: 'medium',
  /** Neither issued by fleetpki nor adopted into the inventory. */
  'not-in-inventory': 'medium',
  /** An elliptic curve or key type other than P-256, P-384 and Ed25519. */
  'non-standard-key': 'low',
} as const satisfies Record<string, FindingSeverity>;

export type FindingKind = keyof typeof FINDING_KINDS;
export const FINDING_KIND_NAMES = Object.keys(FINDING_KINDS) as FindingKind[];

export const RESOLUTIONS = ['adopt', 'assign-owner', 'replace', 'dismiss'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** A finding computed for a certificate, before it is stored. */
export interface FindingDraft {
  kind: FindingKind;
  summary: string;
  evidence: Record<string, unknown>;
}
