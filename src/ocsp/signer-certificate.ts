// The delegated OCSP responder certificate (RFC 6960 4.2.2.2): issued by the CA whose
// certificates it answers for, extended key usage OCSPSigning, and id-pkix-ocsp-nocheck
// (4.2.2.2.1) so that relying parties do not ask about the responder's own status, which
// only the responder itself could answer.

import type { Issuer } from '../ca/issuer.ts';
import { assertLintClean } from '../ca/lint.ts';
import { newSerial, type Serial } from '../ca/serial.ts';
import { buildTbs, signTbs } from '../ca/sign.ts';
import type { Signer } from '../signer/signer.ts';
import { tlv, TAG } from '../x509/der.ts';
import { basicConstraints, extension, extKeyUsage, keyIdentifier, keyUsage, subjectKeyIdentifier } from '../x509/extensions.ts';
import type { KeyDescription } from '../x509/keys.ts';
import { encodeName, nameToAttributes, type NameAttributes } from '../x509/name.ts';
import { OCSP_OID } from '../x509/ocsp.ts';

export interface SignerCertificateRequest {
  issuer: Issuer;
  caSigner: Signer;
  spki: Buffer;
  key: KeyDescription;
  notBefore: Date;
  notAfter: Date;
}

const DAY_MS = 86_400_000;
/** notBefore a minute back, for relying parties' clocks. */
const BACKDATE_MS = 60_000;

/** A responder certificate's validity from now for `days`, inside the CA's own (whole seconds, a minute back). */
export function responderValidity(issuer: Issuer, now: Date, days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.max(Math.floor(now.getTime() / 1000) * 1000 - BACKDATE_MS, issuer.cert.notBefore.getTime()));
  const notAfter = new Date(Math.min(notBefore.getTime() + days * DAY_MS, issuer.cert.notAfter.getTime()));
  return { notBefore, notAfter };
}

const NO_CHECK = extension(OCSP_OID.noCheck, false, tlv(TAG.NULL));
const SUFFIX = ' OCSP Responder';

/** The CA's organisation, and its common name with " OCSP Responder" (kept within the 64-character CN bound). */
function responderName(issuer: Issuer): NameAttributes {
  const caName = nameToAttributes(issuer.cert.subjectDer);
  const organization = caName.filter(([attribute]) => attribute === 'O');
  const cn = caName.find(([attribute]) => attribute === 'CN')?.[1] ?? issuer.row.name;
  return [...organization, ['CN', `${cn.slice(0, 64 - SUFFIX.length)}${SUFFIX}`]];
}

export async function signResponderCertificate(request: SignerCertificateRequest): Promise<{ der: Buffer; serial: Serial }> {
  const { issuer, caSigner, spki } = request;
  const serial = newSerial();
  const subject = responderName(issuer);
  const tbs = buildTbs(caSigner, {
    serial: serial.der,
    issuer: issuer.cert.subjectDer,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    subject: encodeName(subject),
    spki,
    extensions: [basicConstraints(false), keyUsage(['digitalSignature']), extKeyUsage(['OCSPSigning']), NO_CHECK, subjectKeyIdentifier(keyIdentifier(spki)), issuer.childExtensions.aki],
  });
  assertLintClean(tbs, {
    issuerSubjectDer: issuer.cert.subjectDer,
    issuerKeyId: issuer.keyId,
    issuerNotBefore: issuer.cert.notBefore,
    issuerNotAfter: issuer.cert.notAfter,
    signatureOid: caSigner.scheme.oid,
    isCa: false,
    key: request.key,
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['OCSPSigning'],
    subject,
    sans: [],
    spkiDer: spki,
    // id-pkix-ocsp-nocheck: relying parties do not check a responder certificate's revocation.
    urls: null,
  });
  return { der: await signTbs(caSigner, tbs), serial };
}
