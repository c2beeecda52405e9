// Exponential backoff between delivery attempts: base, 2 base, 4 base... capped. No jitter:
// each receiver has one sender (the instance holding the delivery job), so there is no herd
// of clients to spread out, and a fixed schedule is what an operator can predict.

export interface Backoff {
  baseSeconds: number;
  maxSeconds: number;
}

/** Delay after the n-th failed attempt (n >= 1). */
export function backoffMs(failedAttempts: number, backoff: Backoff): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  return Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** exponent) * 1000;
}
