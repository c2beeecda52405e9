import { BadRequest } from '../errors.ts';

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks with the given label (any label when omitted), decoded. */
export function pemBlocks(text: string, label?: string): Buffer[] {
  const out: Buffer[] = [];
  for (const match of text.matchAll(BLOCK)) {
    if (label && match[1] !== label) continue;
    const body = match[2].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new BadRequest(`malformed PEM: the ${match[1]} block is not valid base64`);
    }
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

/**
 * Accepts PEM text, raw DER bytes, or bare base64 of DER (as EST sends it) and returns DER.
 * `labels` are the PEM labels accepted, e.g. CERTIFICATE REQUEST and NEW CERTIFICATE REQUEST.
 */
export function derFromInput(input: string | Uint8Array, labels: string[], what: string): Buffer {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes.length === 0) throw new BadRequest(`empty ${what}`);
  if (bytes[0] === 0x30) return bytes;
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) {
    for (const label of labels) {
      const [first] = pemBlocks(text, label);
      if (first) return first;
    }
    throw new BadRequest(`malformed PEM: expected a ${labels[0]} block for the ${what}`);
  }
  const compact = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const der = Buffer.from(compact, 'base64');
    if (der[0] === 0x30) return der;
  }
  throw new BadRequest(`the ${what} is neither PEM nor DER`);
}
