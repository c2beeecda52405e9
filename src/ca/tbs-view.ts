// Decodes a TBSCertificate with the plain DER walker, independently of the code that built
// it (src/x509/certificate.ts and the @peculiar serialisers), for the pre-signing lint.

import { children, oidToString, readTime, readTop, slice, TAG, value } from '../x509/der.ts';

export interface ExtensionView {
  critical: boolean;
  value: Buffer;
}

export interface TbsView {
  version: number;
  serial: Buffer;
  signatureOid: string;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectIsEmpty: boolean;
  extensions: Map<string, ExtensionView>;
  duplicateExtensions: string[];
}

function readExtensions(raw: Buffer, wrapper: ReturnType<typeof readTop> | undefined) {
  const extensions = new Map<string, ExtensionView>();
  const duplicates: string[] = [];
  if (!wrapper) return { extensions, duplicates };
  const [list] = children(raw, wrapper);
  for (const ext of children(raw, list)) {
    const parts = children(raw, ext);
    const oid = oidToString(value(raw, parts[0]));
    const critical = parts.length === 3 && parts[1].tag === 0x01 && raw[parts[1].valueStart] !== 0;
    if (extensions.has(oid)) duplicates.push(oid);
    extensions.set(oid, { critical, value: value(raw, parts[parts.length - 1]) });
  }
  return { extensions, duplicates };
}

export function readTbs(raw: Buffer): TbsView {
  const parts = children(raw, readTop(raw));
  const hasVersion = parts[0].tag === TAG.CONTEXT_0;
  const version = hasVersion ? raw[children(raw, parts[0])[0].valueStart] : 0;
  const [serial, signature, issuer, validity, subject] = parts.slice(hasVersion ? 1 : 0);
  const [notBefore, notAfter] = children(raw, validity);
  const { extensions, duplicates } = readExtensions(raw, parts.find((p) => p.tag === TAG.CONTEXT_3));
  return {
    version,
    serial: value(raw, serial),
    signatureOid: oidToString(value(raw, children(raw, signature)[0])),
    issuer: slice(raw, issuer),
    notBefore: readTime(notBefore.tag, value(raw, notBefore)),
    notAfter: readTime(notAfter.tag, value(raw, notAfter)),
    subjectIsEmpty: subject.end === subject.valueStart,
    extensions,
    duplicateExtensions: duplicates,
  };
}

/** Named bits of a KeyUsage BIT STRING value (RFC 5280 4.2.1.3 order). */
export function keyUsageBits(bitString: Buffer): Set<string> {
  const names = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
  const content = value(bitString, readTop(bitString)).subarray(1);
  const set = new Set<string>();
  names.forEach((name, i) => {
    if ((content[i >> 3] ?? 0) & (0x80 >> (i & 7))) set.add(name);
  });
  return set;
}

export function isCaFlagSet(basicConstraints: Buffer): boolean {
  const [first] = children(basicConstraints, readTop(basicConstraints));
  return first?.tag === 0x01 && basicConstraints[first.valueStart] !== 0;
}

export function oidList(sequence: Buffer): string[] {
  return children(sequence, readTop(sequence)).map((oid) => oidToString(value(sequence, oid)));
}

export function authorityKeyId(aki: Buffer): Buffer | null {
  const keyId = children(aki, readTop(aki)).find((p) => p.tag === 0x80);
  return keyId ? value(aki, keyId) : null;
}
