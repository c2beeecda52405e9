// Who may sign firmware: a certificate issued by a CA in the trusted code-signing bundle
// (`fleetpki ca chain code-signing`), with the codeSigning extended key usage, valid when it
// signed. Trust comes only from the bundle: CA certificates carried inside a signature are
// never used to build the path, so a certificate from another CA of the fleet (or a look-alike
// CA with the same name) cannot slip in through the signature itself.

import { X509Certificate } from 'node:crypto';
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { certificateUsage } from '../x509/cert-usage.ts';
import type { SignerId } from '../x509/cms-read.ts';
import { OID } from '../x509/oids.ts';
import { pemBlocks } from '../x509/pem.ts';
import { malformed, refuse } from './refusal.ts';

export interface TrustedCa {
  info: CertificateInfo;
  x509: X509Certificate;
}

/** Signing times this far ahead of the verifier's clock are tolerated (clock skew). */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function loadTrustBundle(input: string | Uint8Array): TrustedCa[] {
  const bytes = Buffer.from(input);
  const ders = bytes[0] === 0x30 ? [bytes] : pemBlocks(bytes.toString('utf8'), 'CERTIFICATE');
  if (ders.length === 0) throw malformed('trust-bundle', 'the trusted code-signing CA bundle holds no certificate');
  return ders.map((der) => {
    const info = parseCertificate(der);
    if (!info.isCa) throw malformed('trust-bundle', `the trusted bundle must hold CA certificates only; ${info.subject} is not a CA`);
    const { keyUsage } = certificateUsage(der);
    // RFC 5280 4.2.1.3: a CA key that may not sign certificates is no trust anchor for a path.
    if (keyUsage !== null && !(keyUsage & KeyUsageFlags.keyCertSign)) {
      throw malformed('trust-bundle', `the trusted bundle's CA ${info.subject} may not sign certificates (its key usage lacks keyCertSign)`);
    }
    return { info, x509: new X509Certificate(der) };
  });
}

function matchesSignerId(cert: CertificateInfo, id: SignerId): boolean {
  if (id.subjectKeyId) return cert.subjectKeyId !== null && cert.subjectKeyId.equals(id.subjectKeyId);
  return cert.serialHex === id.serialHex && id.issuerDer !== undefined && cert.issuerDer.equals(id.issuerDer);
}

/** The signer's certificate among those the signature carries. */
export function findSigner(certificates: Buffer[], id: SignerId, what: string): CertificateInfo {
  for (const der of certificates) {
    const cert = parseCertificate(der);
    if (matchesSignerId(cert, id)) return cert;
  }
  throw malformed('signer-chain', `the ${what} does not carry the signer's certificate`);
}

function issuerIn(bundle: TrustedCa[], cert: CertificateInfo): TrustedCa | undefined {
  const x509 = new X509Certificate(cert.der);
  return bundle.find((ca) => ca.info.subjectDer.equals(cert.issuerDer) && x509.verify(ca.x509.publicKey));
}

function assertValidAt(cert: CertificateInfo, at: Date, role: string): void {
  if (at < cert.notBefore || at > cert.notAfter) {
    throw refuse('signing-time', `the ${role} ${cert.subject} was not valid at signing time ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
  }
}

/** The certificate may sign code: an end-entity certificate with codeSigning and digitalSignature. */
export function assertCodeSigning(cert: CertificateInfo): void {
  const usage = certificateUsage(cert.der);
  if (cert.isCa) throw refuse('signer-usage', `the signer ${cert.subject} is a CA certificate; firmware is signed by a code-signing certificate`);
  if (!usage.extKeyUsages?.includes(OID.kpCodeSigning)) {
    throw refuse('signer-usage', `the signer certificate ${cert.subject} lacks the codeSigning extended key usage`);
  }
  if (usage.keyUsage !== null && !(usage.keyUsage & KeyUsageFlags.digitalSignature)) {
    throw refuse('signer-usage', `the signer certificate ${cert.subject} does not allow digital signatures (key usage)`);
  }
}

/**
 * Checks the signer's certificate and its path through the bundle at the signing time; returns
 * the CA that issued it (the one whose CRL or OCSP answer says whether it is revoked).
 */
export function checkSignerTrust(signer: CertificateInfo, bundle: TrustedCa[], signingTime: Date, now: Date): TrustedCa {
  if (signingTime.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw refuse('signing-time', `the signing time ${signingTime.toISOString()} is in the future`);
  }
  assertCodeSigning(signer);
  assertValidAt(signer, signingTime, 'signer certificate');
  const issuer = issuerIn(bundle, signer);
  if (!issuer) throw refuse('signer-chain', `the signer certificate ${signer.subject} (issuer ${signer.issuer}) was not issued by a CA in the trusted code-signing bundle`);
  const seen = new Set<TrustedCa>();
  for (let ca: TrustedCa | undefined = issuer; ca && !seen.has(ca); ca = issuerIn(bundle, ca.info)) {
    seen.add(ca);
    assertValidAt(ca.info, signingTime, 'CA certificate');
  }
  return issuer;
}
