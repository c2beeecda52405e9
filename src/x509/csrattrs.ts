// CsrAttrs (RFC 7030 4.5.2, RFC 9908): a SEQUENCE of OIDs and attributes telling a client
// what its CSR should contain.

import { sequence, tlv, TAG } from './der.ts';
import { oidDer } from './keys.ts';

/** An OID alone, or an attribute: its type and DER-encoded values. */
export type CsrAttr = string | { type: string; values: Buffer[] };

export function encodeCsrAttrs(items: CsrAttr[]): Buffer {
  return sequence(...items.map((item) => (typeof item === 'string' ? oidDer(item) : sequence(oidDer(item.type), tlv(TAG.SET, ...item.values)))));
}

export { oidDer };
