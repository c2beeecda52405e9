// Reading what the openssl command prints about a certificate, so tests compare fleetpki's
// output with an independent implementation rather than with fleetpki's own parser.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { toPem } from '../../src/x509/pem.ts';

export function pemOf(der: Uint8Array): string {
  return toPem(der, 'CERTIFICATE');
}

function x509(certPem: string, args: string[]): string {
  return execFileSync('openssl', ['x509', '-noout', ...args], { input: certPem, encoding: 'utf8' });
}

/** The facts `openssl x509` prints on one line each: dates, serial, fingerprint, names. */
export interface OpensslSummary {
  notBefore: Date;
  notAfter: Date;
  /** Upper-case hex as openssl prints it, no colons. */
  serial: string;
  /** Lower-case hex, no colons. */
  fingerprintSha256: string;
  subject: string;
  issuer: string;
  /** sha256 hex of the SubjectPublicKeyInfo DER that `openssl x509 -pubkey` exports. */
  spkiSha256: string;
}

export function opensslSummary(certPem: string): OpensslSummary {
  const out = x509(certPem, ['-startdate', '-enddate', '-dateopt', 'iso_8601', '-serial', '-fingerprint', '-sha256', '-subject', '-issuer']);
  const field = (name: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`openssl printed no ${name}:\n${out}`);
    return line.slice(name.length + 1).trim();
  };
  const date = (text: string) => new Date(text.replace(' ', 'T'));
  const spkiPem = x509(certPem, ['-pubkey']);
  const spkiDer = Buffer.from(spkiPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return {
    notBefore: date(field('notBefore')),
    notAfter: date(field('notAfter')),
    serial: field('serial'),
    fingerprintSha256: field('sha256 Fingerprint').replace(/:/g, '').toLowerCase(),
    subject: field('subject'),
    issuer: field('issuer'),
    spkiSha256: createHash('sha256').update(spkiDer).digest('hex'),
  };
}

export interface PrintedExtension {
  critical: boolean;
  /** The lines under the extension's heading, trimmed. */
  lines: string[];
  /** The lines joined with a space. */
  text: string;
}

/**
 * One extension as `openssl x509 -text` prints it, e.g. extensionIn(text, 'X509v3 Key Usage')
 * -> { critical: true, lines: ['Digital Signature, Key Agreement'] }; undefined when absent.
 */
export function extensionIn(text: string, heading: string): PrintedExtension | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(`${heading}:`));
  if (start < 0) return undefined;
  const indent = lines[start].search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.search(/\S/) <= indent) break;
    body.push(line.trim());
  }
  return { critical: /:\s*critical\s*$/.test(lines[start]), lines: body, text: body.join(' ') };
}

/** Extension headings in the order openssl prints them. */
export function extensionHeadings(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'X509v3 extensions:');
  if (start < 0) return [];
  const indent = lines[start + 1]?.search(/\S/) ?? 0;
  return lines
    .slice(start + 1)
    .filter((l) => l.search(/\S/) === indent && /:\s*(critical)?\s*$/.test(l))
    .map((l) => l.trim().replace(/:\s*(critical)?\s*$/, ''))
    .filter((h) => h !== 'Signature Algorithm' && h !== 'Signature Value');
}

/** The single-line value after "Heading:" in `openssl x509 -text`, e.g. "Signature Algorithm". */
export function printedValue(text: string, heading: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${heading}:`));
  return line?.slice(line.indexOf(':') + 1).trim();
}

/** Length of a DER header at `offset`: [header bytes, content length]. */
function derHeader(der: Uint8Array, offset: number): [number, number] {
  const first = der[offset + 1];
  if (first < 0x80) return [2, first];
  const octets = first & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[offset + 2 + i];
  return [2 + octets, length];
}

/**
 * The content octets of the serialNumber INTEGER, read straight from the certificate DER
 * (Certificate -> TBSCertificate -> [0] version -> INTEGER), so minimality can be checked on
 * the bytes as encoded, which no parser shows.
 */
export function encodedSerial(der: Uint8Array): Buffer {
  let offset = derHeader(der, 0)[0]; // into Certificate
  offset += derHeader(der, offset)[0]; // into TBSCertificate
  if (der[offset] === 0xa0) {
    const [header, length] = derHeader(der, offset);
    offset += header + length;
  }
  if (der[offset] !== 0x02) throw new Error(`expected the serial INTEGER at offset ${offset}, found tag ${der[offset]}`);
  const [header, length] = derHeader(der, offset);
  return Buffer.from(der.subarray(offset + header, offset + header + length));
}
