// Decodes a TBSCertificate with the plain DER walker, independently of the code that built
// it (src/x509/certificate.ts and the @peculiar serialisers), for the pre-signing lint.

import { SocketAddress } from 'node:net';
import { BadRequest } from '../errors.ts';
import { children, oidToString, readTime, readTop, slice, TAG, value, type Tlv } from '../x509/der.ts';

// The lint runs once per certificate and meets the same few dozen OIDs every time: decoding
// each again was the largest part of its cost. Bounded, though only fleetpki's own TBS bytes reach it.
const OID_CACHE = new Map<string, string>();
function oid(content: Buffer): string {
  const key = content.toString('latin1');
  let text = OID_CACHE.get(key);
  if (text === undefined) {
    text = oidToString(content);
    if (OID_CACHE.size < 256) OID_CACHE.set(key, text);
  }
  return text;
}

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
  /** The subject Name and the SubjectPublicKeyInfo, as encoded. */
  subject: Buffer;
  spki: Buffer;
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
    const id = oid(value(raw, parts[0]));
    const critical = parts.length === 3 && parts[1].tag === 0x01 && raw[parts[1].valueStart] !== 0;
    if (extensions.has(id)) duplicates.push(id);
    extensions.set(id, { critical, value: value(raw, parts[parts.length - 1]) });
  }
  return { extensions, duplicates };
}

export function readTbs(raw: Buffer): TbsView {
  const parts = children(raw, readTop(raw));
  const hasVersion = parts[0].tag === TAG.CONTEXT_0;
  const version = hasVersion ? raw[children(raw, parts[0])[0].valueStart] : 0;
  const [serial, signature, issuer, validity, subject, spki] = parts.slice(hasVersion ? 1 : 0);
  const [notBefore, notAfter] = children(raw, validity);
  const { extensions, duplicates } = readExtensions(raw, parts.find((p) => p.tag === TAG.CONTEXT_3));
  return {
    version,
    serial: value(raw, serial),
    signatureOid: oid(value(raw, children(raw, signature)[0])),
    issuer: slice(raw, issuer),
    notBefore: readTime(notBefore.tag, value(raw, notBefore)),
    notAfter: readTime(notAfter.tag, value(raw, notAfter)),
    subjectIsEmpty: subject.end === subject.valueStart,
    subject: slice(raw, subject),
    spki: slice(raw, spki),
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
  return children(sequence, readTop(sequence)).map((tlv) => oid(value(sequence, tlv)));
}

export function authorityKeyId(aki: Buffer): Buffer | null {
  const keyId = children(aki, readTop(aki)).find((p) => p.tag === 0x80);
  return keyId ? value(aki, keyId) : null;
}

/** The subjectPublicKey BIT STRING's bits (without the unused-bits octet): what RFC 5280 method 1 hashes. */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  const bitString = children(spki, readTop(spki))[1];
  if (bitString?.tag !== TAG.BIT_STRING) throw new BadRequest('SubjectPublicKeyInfo has no subjectPublicKey BIT STRING');
  return spki.subarray(bitString.valueStart + 1, bitString.end);
}

// Its own table rather than src/x509/name.ts's: the lint reads names independently of the encoder.
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** [attribute, value] of every attribute of every RDN, in order ("O", "fleetpki"). */
export function nameAttributes(name: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const rdn of children(name, readTop(name))) {
    for (const atv of children(name, rdn)) {
      const [type, text] = children(name, atv);
      const id = oid(value(name, type));
      out.push([ATTRIBUTE_NAMES[id] ?? id, value(name, text).toString('utf8')]);
    }
  }
  return out;
}

/** An IP address from its octets, in the form net.SocketAddress gives any spelling of it. */
function ipText(octets: Buffer): string {
  if (octets.length === 4) return [...octets].join('.');
  if (octets.length !== 16) return `invalid:${octets.toString('hex')}`;
  const groups = Array.from({ length: 8 }, (_, i) => octets.readUInt16BE(i * 2).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

const GENERAL_NAME_KINDS: Record<number, string> = { 0x81: 'email', 0x82: 'dns', 0x86: 'uri', 0x87: 'ip' };

/** A GeneralNames SEQUENCE as "dns:x" strings; a kind fleetpki never issues comes out as "tag-0x..". */
export function generalNames(names: Buffer): string[] {
  return children(names, readTop(names)).map((name) => {
    const kind = GENERAL_NAME_KINDS[name.tag];
    if (!kind) return `tag-0x${name.tag.toString(16)}`;
    const content = value(names, name);
    return `${kind}:${kind === 'ip' ? ipText(content) : content.toString('latin1')}`;
  });
}

/** Every uniformResourceIdentifier [6] anywhere inside a structure (the CRL DP's fullName). */
export function uris(der: Buffer): string[] {
  const out: string[] = [];
  const walk = (tlv: Tlv) => {
    if (tlv.tag === 0x86) out.push(value(der, tlv).toString('latin1'));
    else if (tlv.tag & 0x20) children(der, tlv).forEach(walk);
  };
  walk(readTop(der));
  return out;
}

/** AuthorityInfoAccess as [access method OID, URI] pairs; a location that is not a URI reads as null. */
export function accessDescriptions(aia: Buffer): Array<[string, string | null]> {
  return children(aia, readTop(aia)).map((description) => {
    const [method, location] = children(aia, description);
    return [oid(value(aia, method)), location?.tag === 0x86 ? value(aia, location).toString('latin1') : null];
  });
}
