// The findings that follow from one certificate alone (plus what fleetpki knows about its
// issuer): pure functions of the facts, so each rule is tested without a network or store.
// Findings about several certificates at once (shared keys) are in sharing.ts.

import type { FindingDraft } from './kinds.ts';
import type { FoundCertificate } from './inspect.ts';
import type { TrustResult } from './trust.ts';

/** What the inventory says about the certificate. */
export type InventoryStatus =
  /** Issued by fleetpki and recorded in its ledger (same fingerprint). */
  | { kind: 'issued'; certificateId: string }
  /** Adopted into the inventory by a resolution. */
  | { kind: 'adopted'; deviceId: string }
  /** Names a fleetpki CA as issuer, but the ledger has no certificate with this issuer and serial and fingerprint. */
  | { kind: 'unrecorded'; ledgerCertificateId: string | null }
  | { kind: 'unknown' };

export interface CertificateFacts {
  cert: FoundCertificate;
  trust: TrustResult;
  inventory: InventoryStatus;
  /** leaf: presented as an endpoint's or a file's own certificate; chain: only as a CA sent along. */
  role: 'leaf' | 'chain';
  now: Date;
  expiringWithinDays: number;
}

const DAY_MS = 86_400_000;
const date = (d: Date) => d.toISOString();

function expiry({ cert, now, expiringWithinDays, inventory }: CertificateFacts): FindingDraft[] {
  const left = cert.notAfter.getTime() - now.getTime();
  if (left < 0) return [{ kind: 'expired', summary: `expired ${date(cert.notAfter)}`, evidence: { notAfter: date(cert.notAfter) } }];
  // fleetpki renews what it issued on its own schedule (renew_after, lifecycle alerts); a
  // 30-day sensor certificate is always "within 30 days" and that is no news. Expired still is.
  if (inventory.kind === 'issued') return [];
  if (left <= expiringWithinDays * DAY_MS) {
    const days = Math.floor(left / DAY_MS);
    return [{ kind: 'expiring', summary: `expires ${date(cert.notAfter)}, in ${days} day(s)`, evidence: { notAfter: date(cert.notAfter), daysLeft: days, thresholdDays: expiringWithinDays } }];
  }
  return [];
}

function strength({ cert, trust, role }: CertificateFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const key = { keyType: cert.key.name, bits: cert.key.bits };
  if (cert.key.strength === 'weak') out.push({ kind: 'weak-key', summary: `weak key ${cert.key.name}; at least RSA-2048, P-256 or Ed25519 is needed`, evidence: key });
  if (cert.key.strength === 'non-standard') out.push({ kind: 'non-standard-key', summary: `non-standard key ${cert.key.name}; fleetpki's devices use P-256, P-384 or Ed25519`, evidence: key });
  // A root's signature on itself is never relied on, so its digest does not matter; a
  // self-signed leaf is flagged all the same, as every TLS scanner does.
  const relied = !(role === 'chain' && trust.trust === 'self-signed');
  if (cert.signatureAlgorithm.weak && relied) {
    out.push({ kind: 'weak-signature', summary: `signed with ${cert.signatureAlgorithm.name}, which is open to collision attacks`, evidence: { signatureAlgorithm: cert.signatureAlgorithm.name } });
  }
  return out;
}

function origin({ cert, trust, inventory }: CertificateFacts): FindingDraft[] {
  if (inventory.kind === 'unrecorded') {
    const ca = trust.claimedCa?.name;
    const how = trust.trust === 'fleetpki' ? `signed by fleetpki CA ${ca}` : `naming fleetpki CA ${ca} as issuer without its signature`;
    return [{ kind: 'unauthorised', summary: `${how}, serial ${cert.serialHex}, but not in fleetpki's issuance ledger`, evidence: { claimedCa: ca, serial: cert.serialHex, signatureVerifies: trust.trust === 'fleetpki', ledgerCertificateId: inventory.ledgerCertificateId } }];
  }
  const out: FindingDraft[] = [];
  if (trust.trust === 'self-signed') out.push({ kind: 'self-signed', summary: `self-signed: "${cert.subject}"`, evidence: { subject: cert.subject } });
  if (trust.trust === 'unknown') out.push({ kind: 'unknown-ca', summary: `issued by "${cert.issuer}", which chains to no fleetpki CA or registered manufacturer`, evidence: { issuer: cert.issuer } });
  if (inventory.kind === 'unknown') {
    const from = trust.anchor ? ` (chains to ${trust.anchor.kind} ${trust.anchor.name})` : '';
    out.push({ kind: 'not-in-inventory', summary: `"${cert.subject}" is in no inventory record${from}`, evidence: { subject: cert.subject, issuer: cert.issuer, serial: cert.serialHex } });
  }
  return out;
}

/**
 * Findings of one certificate. A CA certificate seen only as part of a chain is judged on its
 * dates and strength alone: being self-signed or not in the device inventory is what a CA
 * certificate is, and its leaf's findings already say whether its issuer is known.
 */
export function certificateFindings(facts: CertificateFacts): FindingDraft[] {
  if (facts.trust.anchor && facts.trust.anchor.cert.fingerprintSha256 === facts.cert.fingerprintSha256) return [];
  const base = [...expiry(facts), ...strength(facts)];
  return facts.role === 'chain' ? base : [...base, ...origin(facts)];
}
