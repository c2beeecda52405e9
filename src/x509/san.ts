// Subject alternative names as short typed strings ("dns:x", "ip:x", "uri:x", "email:x"):
// easy to store, to compare with a profile, and to show to a person.

import { isIP } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';

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
      if (!/^[a-z][a-z0-9+.-]*:[^\s]+$/i.test(san.value)) throw new BadRequest(`"${san.value}" is not a URI`);
      return san;
    case 'email':
      if (!/^[^\s@]+@[^\s@]+$/.test(san.value)) throw new BadRequest(`"${san.value}" is not an email address`);
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

function toGeneralName(san: San): GeneralName {
  switch (san.kind) {
    case 'dns':
      return new GeneralName({ dNSName: san.value });
    case 'ip':
      return new GeneralName({ iPAddress: san.value });
    case 'uri':
      return new GeneralName({ uniformResourceIdentifier: san.value });
    case 'email':
      return new GeneralName({ rfc822Name: san.value });
  }
}

function fromGeneralName(name: GeneralName): San {
  if (name.dNSName !== undefined) return checkSan({ kind: 'dns', value: name.dNSName });
  if (name.iPAddress !== undefined) return checkSan({ kind: 'ip', value: name.iPAddress });
  if (name.uniformResourceIdentifier !== undefined) return checkSan({ kind: 'uri', value: name.uniformResourceIdentifier });
  if (name.rfc822Name !== undefined) return checkSan({ kind: 'email', value: name.rfc822Name });
  throw new BadRequest('unsupported subject alternative name type (only DNS, IP, URI and email are accepted)');
}

export function encodeSanValue(sans: San[]): Buffer {
  return Buffer.from(AsnConvert.serialize(new SubjectAlternativeName(sans.map(toGeneralName))));
}

export function decodeSanValue(der: Uint8Array): San[] {
  return AsnConvert.parse(der, SubjectAlternativeName).map(fromGeneralName);
}
