import { randomPoolBytes } from './random-pool.ts';

/**
 * UUIDv7 (RFC 9562): 48-bit millisecond timestamp then random bits. Ids sort by creation
 * time, so keyset pagination on the primary key lists rows oldest first without an extra index.
 */
export function newId(now: number = Date.now()): string {
  const bytes = randomPoolBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
