// One HTTP attempt of one delivery: POST the stored body, signed at the time of sending.
// Redirects are not followed: a signed alert goes to the configured URL or nowhere.

import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureOf } from './signature.ts';

export interface Attempt {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  body: string;
  now: Date;
  timeoutMs: number;
}

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

export async function sendWebhook(a: Attempt): Promise<AttemptResult> {
  const timestamp = Math.floor(a.now.getTime() / 1000);
  try {
    const response = await fetch(a.url, {
      method: 'POST',
      body: a.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(a.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'fleetpki-webhook/1',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signatureOf(a.secret, timestamp, a.body),
        [DELIVERY_HEADER]: a.deliveryId,
        [EVENT_HEADER]: a.event,
      },
    });
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, status: response.status, error: ok ? null : `the receiver answered ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { ok: false, status: null, error: cause ? `${(error as Error).message}: ${cause}` : (error as Error).message };
  }
}
