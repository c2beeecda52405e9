// When the OCSP responder certificate of a CA kept offline needs an operator: SignerPool
// renews a CA's own signer with a third of its life left, and a CA kept offline needs a walk
// to its machine instead (ocsp request, sign-request there, ocsp import here), so the alert
// comes at the same point. Also when a request was made and nothing came back yet, and once
// the last one expired (the responder then answers `unauthorized` for the CA). A CA for which
// OCSP was never asked (no request, no signer) is left alone: its CRLs may be all it needs.

import type { CaRow } from '../store/repos/cas.ts';
import type { OcspSignerRow } from '../store/repos/ocsp-signers.ts';
import { renewalDue } from './signers.ts';

export interface ResponderExpiry {
  summary: string;
  details: { ca: string; notAfter: string | null; pendingRequests: number };
}

/** Null while the offline CA's responder certificate (`latest`) needs nothing from anyone. */
export function responderExpiry(ca: CaRow, latest: OcspSignerRow | undefined, pendingRequests: number, now: Date): ResponderExpiry | null {
  if (ca.encrypted_key !== null) return null;
  const details = { ca: ca.name, notAfter: latest?.not_after ?? null, pendingRequests };
  const roundTrip = `fleetpki ocsp request --ca ${ca.name}, ocsp sign-request on its instance, ocsp import here`;
  if (!latest) {
    if (pendingRequests === 0) return null;
    return { summary: `offline CA ${ca.name} has no OCSP responder certificate yet, so OCSP answers unauthorized for it: bring back the one its request asks for (ocsp sign-request there, ocsp import here)`, details };
  }
  const notAfter = Date.parse(latest.not_after);
  if (notAfter <= now.getTime()) return { summary: `the OCSP responder certificate of offline CA ${ca.name} expired at ${latest.not_after}, so OCSP answers unauthorized for it: ${roundTrip}`, details };
  if (!renewalDue({ notBefore: new Date(latest.not_before), notAfter: new Date(notAfter) }, now)) return null;
  return { summary: `the OCSP responder certificate of offline CA ${ca.name} runs out at ${latest.not_after}: ${roundTrip}`, details };
}
