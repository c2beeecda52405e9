// PKCS#10 certification requests: decode, check proof of possession, extract what the RA
// needs. The signature is verified over the exact bytes received, never a re-encoding.

import { BadRequest } from '../errors.ts';
import { checkCsrKey } from './csr-key-check.ts';
import { children, oidToString, readTop, slice, TAG, value, type Tlv } from './der.ts';
import { classifyKeyFacts, type KeyDescription } from './keys.ts';
import { nameToString } from './name.ts';
import { OID } from './oids.ts';
import { derFromInput } from './pem.ts';
import { decodeSanValue, type San } from './san.ts';

export interface ParsedCsr {
  der: Buffer;
  subjectDer: Buffer;
  /** Rendered on demand: the CA takes names from the profile, not from here. */
  readonly subject: string;
  spkiDer: Buffer;
  key: KeyDescription;
  requestedSans: San[];
}

/** Signature algorithms accepted on a CSR, with the key family each needs. SHA-1 is refused. */
const CSR_SIGNATURES: Record<string, { digest: string | null; family: string }> = {
  [OID.ecdsaWithSha256]: { digest: 'sha256', family: 'ec' },
  [OID.ecdsaWithSha384]: { digest: 'sha384', family: 'ec' },
  [OID.ecdsaWithSha512]: { digest: 'sha512', family: 'ec' },
  [OID.sha256WithRsa]: { digest: 'sha256', family: 'rsa' },
  [OID.sha384WithRsa]: { digest: 'sha384', family: 'rsa' },
  [OID.sha512WithRsa]: { digest: 'sha512', family: 'rsa' },
  [OID.ed25519]: { digest: null, family: 'ed25519' },
};

export const MAX_CSR_BYTES = 16 * 1024;

function structure(der: Buffer): { info: Tlv; infoParts: Tlv[]; algorithm: Tlv; signature: Tlv } {
  const top = readTop(der);
  const parts = children(der, top);
  if (top.tag !== TAG.SEQUENCE || parts.length !== 3 || parts[0].tag !== TAG.SEQUENCE || parts[1].tag !== TAG.SEQUENCE || parts[2].tag !== TAG.BIT_STRING) {
    throw new BadRequest('malformed CSR: not a PKCS#10 CertificationRequest');
  }
  const infoParts = children(der, parts[0]);
  if (infoParts.length < 3 || infoParts[0].tag !== TAG.INTEGER || infoParts[2].tag !== TAG.SEQUENCE) {
    throw new BadRequest('malformed CSR: certificationRequestInfo is incomplete');
  }
  return { info: parts[0], infoParts, algorithm: parts[1], signature: parts[2] };
}

/** The key family a signature algorithm needs, against the decoded key's type. */
function familyOf(keyType: string | null): string {
  return keyType === 'ec' || keyType === 'rsa' ? keyType : 'ed25519';
}

function decodeRequestedSans(bytes: Buffer): San[] {
  try {
    return decodeSanValue(bytes);
  } catch (error) {
    if (error instanceof BadRequest) throw error;
    throw new BadRequest('malformed subjectAltName in the CSR extension request');
  }
}

/** SANs from the extensionRequest attribute (PKCS#9), read with the DER walker. */
function requestedSans(der: Buffer, attributes: Tlv | undefined): San[] {
  if (!attributes) return [];
  for (const attribute of children(der, attributes)) {
    const [type, values] = children(der, attribute);
    if (oidToString(value(der, type)) !== OID.extensionRequest) continue;
    const [extensions] = children(der, values);
    for (const extension of extensions ? children(der, extensions) : []) {
      const parts = children(der, extension);
      if (oidToString(value(der, parts[0])) === OID.subjectAltName) return decodeRequestedSans(value(der, parts[parts.length - 1]));
    }
  }
  return [];
}

export async function parseCsr(input: string | Uint8Array): Promise<ParsedCsr> {
  const der = derFromInput(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'CSR');
  if (der.length > MAX_CSR_BYTES) throw new BadRequest(`CSR is larger than ${MAX_CSR_BYTES} bytes`);
  const { info, infoParts, algorithm: algorithmTlv, signature } = structure(der);
  const spkiDer = slice(der, infoParts[2]);
  const algorithm = oidToString(value(der, children(der, algorithmTlv)[0]));
  const scheme = CSR_SIGNATURES[algorithm];
  // Key decode and signature check in one trip to a worker thread; the refusals below keep
  // their order: undecodable key, refused key type, bad SAN, refused algorithm, bad signature.
  const checked = await checkCsrKey({
    spki: spkiDer,
    signature: scheme && { digest: scheme.digest, data: slice(der, info), value: der.subarray(signature.valueStart + 1, signature.end) },
  });
  if (!checked.key) throw new BadRequest('the CSR public key cannot be decoded');
  const key = classifyKeyFacts(checked.key);
  const sans = requestedSans(der, infoParts.find((p) => p.tag === TAG.CONTEXT_0));
  if (!scheme) throw new BadRequest(`CSR signature algorithm ${algorithm} is not accepted (SHA-1 and unknown algorithms are refused)`);
  if (scheme.family !== familyOf(checked.key.type)) throw new BadRequest('CSR signature algorithm does not match its public key');
  if (!checked.valid) throw new BadRequest('CSR signature does not verify (no proof of possession of the private key)');
  const subjectDer = slice(der, infoParts[1]);
  return {
    der,
    subjectDer,
    get subject() {
      return nameToString(subjectDer);
    },
    spkiDer,
    key,
    requestedSans: sans,
  };
}
