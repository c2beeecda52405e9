// Webhook signatures: HMAC-SHA256 with the webhook's secret over "<timestamp>.<raw body>".
// The timestamp is inside the MAC, so a receiver that refuses old timestamps cannot be fed a
// captured request again later; the body is signed as sent, byte for byte.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-fleetpki-signature';
export const TIMESTAMP_HEADER = 'x-fleetpki-timestamp';
export const DELIVERY_HEADER = 'x-fleetpki-delivery';
export const EVENT_HEADER = 'x-fleetpki-event';

/** "sha256=<hex>" for a timestamp in Unix seconds. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A receiver's check: the MAC matches and the timestamp is within toleranceSeconds of now. */
export function verifySignature(secret: string, signature: string | undefined, timestamp: string | undefined, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
