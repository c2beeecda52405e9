// Subject alternative names as short typed strings ("dns:x", "ip:x", "uri:x", "email:x"):
// easy to store, to compare with a profile, and to show to a person.

import { isIP } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { sequence, tlv } from './der.ts';

export type SanKind = 'dns' | 'ip' | 'uri' | 'email';
export interface San {
  kind: SanKind;
  value: string;
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function checkSan(san: San): San {
  switch (san.kind) {
    case 'dns': {
      const labels = san.value.toLowerCase().split('.');
      const wildcard = labels[0] === '*';
      const rest = wildcard ? labels.slice(1) : labels;
      if (san.value.length > 253 || rest.length < 1 || !rest.every((label) => DNS_LABEL.test(label))) {
        throw new BadRequest(`"${san.value}" is not a valid DNS name`);
      }
      return { kind: 'dns', value: san.value.toLowerCase() };
    }
    case 'ip':
      if (!isIP(san.value)) throw new BadRequest(`"${san.value}" is not an IP address`);
      return san;
    case 'uri':
      // IA5String: ASCII only (RFC 5280 7.4: an IRI is mapped to a URI, e.g. percent-encoded).
      if (!/^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i.test(san.value)) throw new BadRequest(`"${san.value}" is not a URI (printable ASCII, no spaces)`);
      return san;
    case 'email':
      if (!/^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$/.test(san.value)) throw new BadRequest(`"${san.value}" is not an email address (printable ASCII, no spaces)`);
      return san;
  }
}

export function parseSan(text: string): San {
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon) as SanKind;
  if (colon < 1 || !['dns', 'ip', 'uri', 'email'].includes(kind)) {
    throw new BadRequest(`"${text}" is not a SAN; write dns:name, ip:address, uri:value or email:address`);
  }
  return checkSan({ kind, value: text.slice(colon + 1) });
}

export function formatSan(san: San): string {
  return `${san.kind}:${san.value}`;
}

/** GeneralName context tags (RFC 5280 4.2.1.6): rfc822Name [1], dNSName [2], URI [6], iPAddress [7]. */
const GENERAL_NAME_TAG: Record<SanKind, number> = { email: 0x81, dns: 0x82, uri: 0x86, ip: 0x87 };

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two hex groups.
  const ip = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return Buffer.from([...left, ...middle, ...right].flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function encodeGeneralName(san: San): Buffer {
  const content = san.kind === 'ip' ? ipBytes(san.value) : Buffer.from(san.value, 'latin1');
  return tlv(GENERAL_NAME_TAG[san.kind], content);
}

function fromGeneralName(name: GeneralName): San {
  if (name.dNSName !== undefined) return checkSan({ kind: 'dns', value: name.dNSName });
  if (name.iPAddress !== undefined) return checkSan({ kind: 'ip', value: name.iPAddress });
  if (name.uniformResourceIdentifier !== undefined) return checkSan({ kind: 'uri', value: name.uniformResourceIdentifier });
  if (name.rfc822Name !== undefined) return checkSan({ kind: 'email', value: name.rfc822Name });
  throw new BadRequest('unsupported subject alternative name type (only DNS, IP, URI and email are accepted)');
}

/** Encoded here (hot path); decodeSanValue reads it back with the @peculiar schema. */
export function encodeSanValue(sans: San[]): Buffer {
  return sequence(...sans.map(encodeGeneralName));
}

export function decodeSanValue(der: Uint8Array): San[] {
  return AsnConvert.parse(der, SubjectAlternativeName).map(fromGeneralName);
}
