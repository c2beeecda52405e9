// PKCS#10 certification requests: decode, check proof of possession, extract what the RA
// needs. The signature is verified over the exact bytes received, never a re-encoding.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { children, readTop, slice, TAG, type Tlv } from './der.ts';
import { classifyPublicKey, type KeyDescription } from './keys.ts';
import { nameToString } from './name.ts';
import { OID } from './oids.ts';
import { derFromInput } from './pem.ts';
import { extensionValue } from './extensions.ts';
import { decodeSanValue, type San } from './san.ts';

export interface ParsedCsr {
  der: Buffer;
  subjectDer: Buffer;
  subject: string;
  spkiDer: Buffer;
  publicKey: KeyObject;
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

function structure(der: Buffer): { info: Tlv; infoParts: Tlv[]; signature: Tlv } {
  const top = readTop(der);
  const parts = children(der, top);
  if (top.tag !== TAG.SEQUENCE || parts.length !== 3 || parts[0].tag !== TAG.SEQUENCE || parts[2].tag !== TAG.BIT_STRING) {
    throw new BadRequest('malformed CSR: not a PKCS#10 CertificationRequest');
  }
  const infoParts = children(der, parts[0]);
  if (infoParts.length < 3 || infoParts[0].tag !== TAG.INTEGER || infoParts[2].tag !== TAG.SEQUENCE) {
    throw new BadRequest('malformed CSR: certificationRequestInfo is incomplete');
  }
  return { info: parts[0], infoParts, signature: parts[2] };
}

function decode(der: Buffer): CertificationRequest {
  try {
    return AsnConvert.parse(der, CertificationRequest);
  } catch (error) {
    throw new BadRequest(`malformed CSR: ${(error as Error).message}`);
  }
}

function publicKeyOf(spkiDer: Buffer): KeyObject {
  try {
    return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch {
    throw new BadRequest('the CSR public key cannot be decoded');
  }
}

function checkProofOfPossession(der: Buffer, info: Tlv, signature: Tlv, algorithm: string, key: KeyObject): void {
  const scheme = CSR_SIGNATURES[algorithm];
  if (!scheme) throw new BadRequest(`CSR signature algorithm ${algorithm} is not accepted (SHA-1 and unknown algorithms are refused)`);
  const keyFamily = key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyType : 'ed25519';
  if (scheme.family !== keyFamily) throw new BadRequest('CSR signature algorithm does not match its public key');
  const signatureBytes = der.subarray(signature.valueStart + 1, signature.end);
  let valid = false;
  try {
    valid = verify(scheme.digest, slice(der, info), key, signatureBytes);
  } catch {
    valid = false;
  }
  if (!valid) throw new BadRequest('CSR signature does not verify (no proof of possession of the private key)');
}

function requestedSans(csr: CertificationRequest): San[] {
  const attribute = csr.certificationRequestInfo.attributes.find((a) => a.type === OID.extensionRequest);
  if (!attribute || attribute.values.length === 0) return [];
  const extensions = AsnConvert.parse(attribute.values[0], Extensions);
  const san = extensions.find((e) => e.extnID === OID.subjectAltName);
  return san ? decodeSanValue(extensionValue(san)) : [];
}

export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const der = derFromInput(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'CSR');
  if (der.length > MAX_CSR_BYTES) throw new BadRequest(`CSR is larger than ${MAX_CSR_BYTES} bytes`);
  const { info, infoParts, signature } = structure(der);
  const csr = decode(der);
  const spkiDer = slice(der, infoParts[2]);
  const publicKey = publicKeyOf(spkiDer);
  const key = classifyPublicKey(publicKey);
  checkProofOfPossession(der, info, signature, csr.signatureAlgorithm.algorithm, publicKey);
  const subjectDer = slice(der, infoParts[1]);
  return { der, subjectDer, subject: nameToString(subjectDer), spkiDer, publicKey, key, requestedSans: requestedSans(csr) };
}
