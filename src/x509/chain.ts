// Path building from a presented certificate to one of a set of trust anchors, by issuer
// name and signature (RFC 5280 6.1, without policies or name constraints). No policy here:
// the caller decides which anchors count and what a failure means.

import { isSignedBy, type CertificateInfo } from './certificate.ts';

export type ChainResult =
  | { ok: true; anchor: CertificateInfo; path: CertificateInfo[] }
  | { ok: false; reason: string };

/** Intermediates between a device certificate and its anchor; real chains have one or two. */
const MAX_DEPTH = 5;

function within(cert: CertificateInfo, now: Date): string | null {
  if (now < cert.notBefore) return `certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`;
  if (now > cert.notAfter) return `certificate "${cert.subject}" expired ${cert.notAfter.toISOString()}`;
  return null;
}

const issues = (issuer: CertificateInfo, cert: CertificateInfo) => issuer.subjectDer.equals(cert.issuerDer) && isSignedBy(cert.der, issuer.der);

/**
 * Finds a path leaf -> presented CA certificates -> anchor. Every certificate on the path
 * must be within its validity period; the anchor's own dates are not checked (a trust anchor
 * is a name and a key, RFC 5280 6.1.1).
 */
export function chainToAnchor(leaf: CertificateInfo, presented: CertificateInfo[], anchors: CertificateInfo[], now: Date): ChainResult {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const expired = within(current, now);
    if (expired) return { ok: false, reason: expired };
    const anchor = anchors.find((a) => issues(a, current));
    if (anchor) return { ok: true, anchor, path };
    const next = presented.find((c) => c.isCa && !path.includes(c) && issues(c, current));
    if (!next) return { ok: false, reason: `no trusted issuer for "${current.subject}" (issuer "${current.issuer}")` };
    path.push(next);
    current = next;
  }
  return { ok: false, reason: `no trust anchor within ${MAX_DEPTH} CA certificates` };
}
