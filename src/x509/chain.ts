// Path building from a presented certificate to one of a set of trust anchors, by issuer
// name and signature, with the basic path validation of RFC 5280 6.1 that matters without
// policies or name constraints: validity periods, and for every issuer on the path
// basicConstraints cA, keyUsage keyCertSign and pathLenConstraint. No policy here: the
// caller decides which anchors count and what a failure means.

import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints, KeyUsageFlags } from '@peculiar/asn1-x509';
import { certificateUsage } from './cert-usage.ts';
import { isSignedBy, type CertificateInfo } from './certificate.ts';
import { extensionValue } from './extensions.ts';
import { OID } from './oids.ts';

export type ChainResult =
  | { ok: true; anchor: CertificateInfo; path: CertificateInfo[] }
  | { ok: false; reason: string };

/** What the leaf will be used for, checked against its key usage and extended key usage. */
export type LeafPurpose = 'clientAuth';

export interface ChainOptions {
  purpose?: LeafPurpose;
}

/** Intermediates between a device certificate and its anchor; real chains have one or two. */
const MAX_DEPTH = 5;

interface Constraints {
  pathLen: number | null;
  keyUsage: number | null;
  extKeyUsages: string[] | null;
}

/** Parsed once per certificate object: anchors are cached by the caller, chains are short. */
const constraintsCache = new WeakMap<CertificateInfo, Constraints>();

function constraintsOf(cert: CertificateInfo): Constraints {
  let found = constraintsCache.get(cert);
  if (found) return found;
  const extensions = AsnConvert.parse(cert.der, Certificate).tbsCertificate.extensions ?? [];
  const bc = extensions.find((e) => e.extnID === id_ce_basicConstraints);
  const usage = certificateUsage(cert.der);
  const pathLen = bc ? AsnConvert.parse(extensionValue(bc), BasicConstraints).pathLenConstraint : undefined;
  found = { pathLen: pathLen ?? null, keyUsage: usage.keyUsage, extKeyUsages: usage.extKeyUsages };
  constraintsCache.set(cert, found);
  return found;
}

function within(cert: CertificateInfo, now: Date): string | null {
  if (now < cert.notBefore) return `certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`;
  if (now > cert.notAfter) return `certificate "${cert.subject}" expired ${cert.notAfter.toISOString()}`;
  return null;
}

const issues = (issuer: CertificateInfo, cert: CertificateInfo) => issuer.subjectDer.equals(cert.issuerDer) && isSignedBy(cert.der, issuer.der);

/** Self-issued certificates (subject = issuer: key rollover) do not count against a path length (RFC 5280 6.1.4 l). */
const selfIssued = (cert: CertificateInfo) => cert.subjectDer.equals(cert.issuerDer);

/**
 * Whether `issuer` may sign certificates (RFC 5280 6.1.4 k, n, m): a CA certificate, whose
 * key usage, if present, has keyCertSign, and whose path length allows the
 * `caCertificatesBelow` intermediate CA certificates between it and the leaf.
 */
function issuerProblem(issuer: CertificateInfo, caCertificatesBelow: number): string | null {
  if (!issuer.isCa) return `"${issuer.subject}" is not a CA certificate (basicConstraints cA is not set), so it cannot issue certificates`;
  const { keyUsage, pathLen } = constraintsOf(issuer);
  if (keyUsage !== null && !(keyUsage & KeyUsageFlags.keyCertSign)) return `CA certificate "${issuer.subject}" does not allow keyCertSign in its key usage`;
  if (pathLen !== null && caCertificatesBelow > pathLen) {
    return `CA certificate "${issuer.subject}" allows ${pathLen} intermediate CA certificate(s) below it (pathLenConstraint), the path has ${caCertificatesBelow}`;
  }
  return null;
}

/** Whether the leaf may be used for `purpose`: key usage and extended key usage, when present, must allow it. */
function leafProblem(leaf: CertificateInfo, purpose: LeafPurpose | undefined): string | null {
  if (!purpose) return null;
  const { keyUsage, extKeyUsages } = constraintsOf(leaf);
  // TLS client authentication signs the handshake (RFC 5246 7.4.8, RFC 8446 4.4.3).
  if (keyUsage !== null && !(keyUsage & KeyUsageFlags.digitalSignature)) return `certificate "${leaf.subject}" does not allow digitalSignature in its key usage, which TLS client authentication needs`;
  // anyExtendedKeyUsage alone is not enough, as for OpenSSL's sslclient purpose: RFC 5280
  // 4.2.1.12 leaves it to the application, and a device identity should say what it is for.
  if (extKeyUsages !== null && !extKeyUsages.includes(OID.kpClientAuth)) {
    return `certificate "${leaf.subject}" has an extended key usage without clientAuth, so it is not for TLS client authentication`;
  }
  return null;
}

/** CA certificates on `path` above the leaf that count against a path length. */
const countedIntermediates = (path: CertificateInfo[]) => path.slice(1).filter((c) => !selfIssued(c)).length;

/**
 * Finds a path leaf -> presented CA certificates -> anchor. Every certificate on the path
 * must be within its validity period; every issuer on it, the anchor included (as OpenSSL
 * does with an anchor that is a certificate), must be a CA allowed to sign certificates
 * whose path length admits the intermediates below it. The anchor's own dates are not
 * checked (a trust anchor is a name and a key, RFC 5280 6.1.1).
 */
export function chainToAnchor(leaf: CertificateInfo, presented: CertificateInfo[], anchors: CertificateInfo[], now: Date, options: ChainOptions = {}): ChainResult {
  const usage = leafProblem(leaf, options.purpose);
  if (usage) return { ok: false, reason: usage };
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const expired = within(current, now);
    if (expired) return { ok: false, reason: expired };
    const anchor = anchors.find((a) => issues(a, current));
    if (anchor) {
      const problem = issuerProblem(anchor, countedIntermediates(path));
      return problem ? { ok: false, reason: problem } : { ok: true, anchor, path };
    }
    // A CA certificate is preferred; a non-CA one that signed `current` is named in the refusal.
    const candidates = presented.filter((c) => !path.includes(c) && issues(c, current));
    const next = candidates.find((c) => c.isCa) ?? candidates[0];
    if (!next) return { ok: false, reason: `no trusted issuer for "${current.subject}" (issuer "${current.issuer}")` };
    const problem = issuerProblem(next, countedIntermediates(path));
    if (problem) return { ok: false, reason: problem };
    path.push(next);
    current = next;
  }
  return { ok: false, reason: `no trust anchor within ${MAX_DEPTH} CA certificates` };
}
