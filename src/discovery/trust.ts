// Where a discovered certificate's trust comes from: a fleetpki CA, a registered manufacturer
// anchor, itself, or nowhere known. Paths are built by issuer name and signature through the
// CA certificates seen in the same run; dates are not checked here (an expired certificate
// from fleetpki's CA is still fleetpki's, and the expiry is a finding of its own).

import { X509Certificate } from 'node:crypto';
import type { DiscoveredTrust } from '../store/schema.ts';
import type { FoundCertificate } from './inspect.ts';

export interface Anchor {
  kind: 'fleetpki' | 'manufacturer';
  /** The CA's or manufacturer's id and name in fleetpki. */
  id: string;
  name: string;
  cert: FoundCertificate;
}

export interface TrustResult {
  trust: DiscoveredTrust;
  /** The anchor the path ends at, for fleetpki and manufacturer. */
  anchor: Anchor | null;
  /** The fleetpki CA named as the certificate's issuer, whether or not its signature verifies. */
  claimedCa: Anchor | null;
}

const MAX_DEPTH = 6;

function signedBy(cert: FoundCertificate, issuer: FoundCertificate): boolean {
  if (!issuer.publicKey || !issuer.subjectDer.equals(cert.issuerDer)) return false;
  try {
    return new X509Certificate(cert.der).verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function isSelfSigned(cert: FoundCertificate): boolean {
  return signedBy(cert, cert);
}

function pathAnchor(leaf: FoundCertificate, pool: FoundCertificate[], anchors: Anchor[]): Anchor | null {
  const same = anchors.find((a) => a.cert.fingerprintSha256 === leaf.fingerprintSha256);
  if (same) return same;
  const visited = new Set([leaf.fingerprintSha256]);
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const anchor = anchors.find((a) => signedBy(current, a.cert));
    if (anchor) return anchor;
    const next = pool.find((c) => !visited.has(c.fingerprintSha256) && signedBy(current, c));
    if (!next) return null;
    visited.add(next.fingerprintSha256);
    current = next;
  }
  return null;
}

export function classifyTrust(leaf: FoundCertificate, pool: FoundCertificate[], anchors: Anchor[]): TrustResult {
  // Compared as rendered names, not bytes: a look-alike made with another string type still claims the CA.
  const claimedCa = anchors.find((a) => a.kind === 'fleetpki' && (a.cert.subjectDer.equals(leaf.issuerDer) || a.cert.subject === leaf.issuer)) ?? null;
  const anchor = pathAnchor(leaf, pool, anchors);
  if (anchor) return { trust: anchor.kind, anchor, claimedCa };
  if (isSelfSigned(leaf)) return { trust: 'self-signed', anchor: null, claimedCa };
  return { trust: claimedCa ? 'fleetpki-claimed' : 'unknown', anchor: null, claimedCa };
}
