// A minimal DER reader and writer. Parsing of whole structures goes through the @peculiar
// schemas; this file exists for two jobs those do not do well: slicing the exact bytes that
// were signed out of a CSR or certificate (re-encoding could change them), and assembling a
// TBSCertificate from pre-encoded parts on the issuance hot path.

import { BadRequest } from '../errors.ts';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  valueStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new BadRequest('truncated DER: no room for a tag and length');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new BadRequest('unsupported DER: multi-byte tag');
  let length = buf[offset + 1];
  let valueStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new BadRequest('invalid DER length');
    if (valueStart + octets > buf.length) throw new BadRequest('truncated DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[valueStart + i];
    valueStart += octets;
  }
  const end = valueStart + length;
  if (end > buf.length) throw new BadRequest('truncated DER: value runs past the end of the input');
  return { tag, start: offset, valueStart, end };
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.valueStart;
  while (offset < parent.end) {
    const child = readTlv(buf, offset);
    if (child.end > parent.end) throw new BadRequest('DER element runs past its parent');
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Reads a whole DER object and checks that nothing trails it. */
export function readTop(buf: Uint8Array): Tlv {
  const top = readTlv(buf, 0);
  if (top.end !== buf.length) throw new BadRequest('unexpected bytes after the DER object');
  return top;
}

export function slice(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.start, tlv.end);
}

export function value(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.valueStart, tlv.end);
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  return Buffer.concat([Buffer.from([tag]), encodeLength(length), ...parts]);
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

export const sequence = (...parts: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...parts);

/** DER INTEGER for a non-negative value given as big-endian bytes: minimal, with a sign pad. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const pad = trimmed[0] & 0x80 ? [Buffer.from([0])] : [];
  return tlv(TAG.INTEGER, ...pad, trimmed);
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always whole seconds in Z. */
export function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year < 1950) throw new RangeError(`time before 1950 cannot be encoded: ${iso}`);
  if (year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, 'latin1'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'latin1'));
}

export function oidToString(content: Uint8Array): string {
  const parts: number[] = [];
  let n = 0;
  for (const byte of content) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) content to a Date. */
export function readTime(tag: number, content: Uint8Array): Date {
  const text = Buffer.from(content).toString('latin1');
  const match = tag === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new BadRequest(`malformed time "${text}"`);
  let year = Number(match[1]);
  if (tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
}
