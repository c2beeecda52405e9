// Distinguished names: encode from ordered attribute pairs, render the way `openssl x509
// -subject -nameopt RFC2253`-less default prints them ("C=DE, O=Acme, CN=x").

import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { BadRequest } from '../errors.ts';
import { sequence, tlv, TAG } from './der.ts';
import { oidDer } from './keys.ts';

const ATTRIBUTES: Record<string, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
};
const SHORT_NAMES = Object.fromEntries(Object.entries(ATTRIBUTES).map(([k, v]) => [v, k]));
/** RFC 5280 requires PrintableString for these; IA5String for DC and emailAddress. */
const PRINTABLE = new Set(['C', 'serialNumber']);
const IA5 = new Set(['DC', 'emailAddress']);

export type NameAttributes = Array<[attribute: string, value: string]>;

export function isNameAttribute(attribute: string): boolean {
  return attribute in ATTRIBUTES;
}

function valueTag(attribute: string, value: string): number {
  if (PRINTABLE.has(attribute)) {
    if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) {
      throw new BadRequest(`subject ${attribute} "${value}" has characters a PrintableString cannot hold`);
    }
    return TAG.PRINTABLE_STRING;
  }
  if (IA5.has(attribute)) {
    if (!/^[\x00-\x7f]*$/.test(value)) throw new BadRequest(`subject ${attribute} "${value}" must be ASCII`);
    return TAG.IA5_STRING;
  }
  return TAG.UTF8_STRING;
}

const TYPE_DER = new Map(Object.entries(ATTRIBUTES).map(([name, oid]) => [name, oidDer(oid)]));

/** One attribute per RDN, in the given order. Encoded here (hot path); nameToString reads it back with @peculiar. */
export function encodeName(attributes: NameAttributes): Buffer {
  const rdns = attributes.map(([attribute, value]) => {
    const type = TYPE_DER.get(attribute);
    if (!type) throw new BadRequest(`unknown subject attribute ${attribute}`);
    if (value.length === 0 || value.length > 64) {
      throw new BadRequest(`subject ${attribute} must be 1 to 64 characters, got ${value.length}`);
    }
    if (attribute === 'C' && !/^[A-Z]{2}$/.test(value)) throw new BadRequest(`subject C must be a two-letter country code`);
    return tlv(TAG.SET, sequence(type, tlv(valueTag(attribute, value), Buffer.from(value, 'utf8'))));
  });
  return sequence(...rdns);
}

/** The same rendering as nameToString, without decoding. */
export function attributesToString(attributes: NameAttributes): string {
  return attributes.map(([attribute, value]) => `${attribute}=${value}`).join(', ');
}

export function nameToString(der: Uint8Array): string {
  const name = AsnConvert.parse(der, Name);
  return name
    .flatMap((rdn) => rdn.map((atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${atv.value.toString()}`))
    .join(', ');
}

export function nameToAttributes(der: Uint8Array): NameAttributes {
  const name = AsnConvert.parse(der, Name);
  return name.flatMap((rdn) => rdn.map((atv): [string, string] => [SHORT_NAMES[atv.type] ?? atv.type, atv.value.toString()]));
}

/** The value of the first `attribute` of a DER name, e.g. the serialNumber in an IDevID's subject. */
export function nameAttribute(der: Uint8Array, attribute: string): string | undefined {
  return nameToAttributes(der).find(([name]) => name === attribute)?.[1];
}
