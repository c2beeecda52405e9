// Recording what one target of a run showed: each certificate once (by fingerprint), where it
// was seen, and the target's outcome, in one group-committed write per target so progress is
// visible while a long run goes on.

import type { Context } from '../app/context.ts';
import { newId } from '../ids.ts';
import { upsertDiscovered, upsertSighting } from '../store/repos/discovered-certificates.ts';
import { insertRunTarget } from '../store/repos/discovery-runs.ts';
import type { DiscoveredCertificatesTable, DiscoverySource, DiscoveryTargetOutcome, SightingRole } from '../store/schema.ts';
import type { FoundCertificate } from './inspect.ts';

export interface Presented {
  found: FoundCertificate;
  role: SightingRole;
}

export interface TargetOutcome {
  target: string;
  source: DiscoverySource;
  outcome: DiscoveryTargetOutcome;
  error: string | null;
  certificates: Presented[];
  details: Record<string, unknown>;
}

/** A certificate the run has seen, with its id in the store. */
export interface SeenCertificate {
  id: string;
  found: FoundCertificate;
  /** Seen at least once in this run as a leaf (not only in a chain). */
  leaf: boolean;
}

function discoveredRow(found: FoundCertificate, now: string): DiscoveredCertificatesTable {
  return {
    id: newId(),
    fingerprint_sha256: found.fingerprintSha256,
    spki_sha256: found.spkiSha256,
    subject: found.subject,
    issuer: found.issuer,
    serial_hex: found.serialHex,
    sans: JSON.stringify(found.sans),
    key_type: found.key.name,
    signature_algorithm: found.signatureAlgorithm.name,
    not_before: found.notBefore.toISOString(),
    not_after: found.notAfter.toISOString(),
    ca_flag: found.isCa ? 'ca' : 'end-entity',
    // Set by the analysis at the end of the run, which sees the whole chain.
    trust: 'unknown',
    inventory_certificate_id: null,
    adopted_device_id: null,
    adopted_at: null,
    owner: null,
    replacement_requested_at: null,
    der: found.der,
    first_seen_at: now,
    last_seen_at: now,
  };
}

/** Writes one target's outcome; returns the certificates with their store ids. */
export async function recordTarget(ctx: Context, runId: string, outcome: TargetOutcome): Promise<SeenCertificate[]> {
  const now = new Date().toISOString();
  return ctx.ledger.submit(async (trx) => {
    const seen: SeenCertificate[] = [];
    for (const { found, role } of outcome.certificates) {
      const id = await upsertDiscovered(trx, discoveredRow(found, now));
      await upsertSighting(trx, { id: newId(), certificate_id: id, source: outcome.source, location: outcome.target, role, last_run_id: runId, first_seen_at: now, last_seen_at: now });
      seen.push({ id, found, leaf: role === 'leaf' });
    }
    await insertRunTarget(trx, {
      id: newId(),
      run_id: runId,
      target: outcome.target,
      outcome: outcome.outcome,
      error: outcome.error,
      certificates: outcome.certificates.length,
      details: JSON.stringify(outcome.details),
      finished_at: now,
    });
    return seen;
  });
}

/** Merges what targets returned: one entry per certificate, a leaf if any target showed it as one. */
export function mergeSeen(into: Map<string, SeenCertificate>, seen: SeenCertificate[]): void {
  for (const cert of seen) {
    const known = into.get(cert.id);
    if (known) known.leaf ||= cert.leaf;
    else into.set(cert.id, { ...cert });
  }
}
