// When the agent acts, as pure functions of the certificate's validity, the profile's
// renewal fraction, a jitter fraction and a random number: no clock, no I/O, so every edge
// (renewal window, backoff cap, expiry during backoff) is a unit test.

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export interface RenewalPolicy {
  /** Renew once this fraction of the lifetime has passed (the profile's renewAfter). */
  renewAfter: number;
  /**
   * Spread renewals over this fraction of the time left after the renewal point, so a fleet
   * enrolled in one afternoon does not renew in one second. 0 renews exactly at the point.
   */
  jitter: number;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The instant to renew at; `random` in [0, 1) picks the place inside the jitter span. The
 * renewal point is the server's (`serverPoint`, the renew_after the inventory holds for this
 * certificate, sent with it) when it lies inside the validity, else the policy's fraction.
 */
export function renewalTime(validity: Validity, policy: RenewalPolicy, random: number, serverPoint: Date | null = null): Date {
  const start = validity.notBefore.getTime();
  const end = validity.notAfter.getTime();
  const point = renewalPoint(validity, policy, serverPoint).getTime();
  return new Date(Math.floor(point + (end - point) * policy.jitter * random));
}

/** Where renewal may start: the server's point if it is a usable one, else renewAfter of the lifetime. */
export function renewalPoint(validity: Validity, policy: RenewalPolicy, serverPoint: Date | null): Date {
  if (usablePoint(validity, serverPoint)) return serverPoint;
  const start = validity.notBefore.getTime();
  return new Date(start + (validity.notAfter.getTime() - start) * policy.renewAfter);
}

/** A server's point outside the certificate's own lifetime is a confused server, not a reason to renew at once or never. */
export function usablePoint(validity: Validity, point: Date | null): point is Date {
  return point !== null && !Number.isNaN(point.getTime()) && point >= validity.notBefore && point <= validity.notAfter;
}

/**
 * Exponential backoff with jitter: base * 2^(attempt-1), capped, then scaled into
 * [half, full] so failed devices do not retry in lockstep. attempt counts from 1.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + 0.5 * random));
}

export type Decision =
  /** No certificate yet: only `enroll` (token or IDevID) can start. */
  | { kind: 'unenrolled' }
  | { kind: 'wait'; until: Date }
  | { kind: 'renew' }
  /** The certificate has expired: it proves nothing any more, so enrol again with the IDevID. */
  | { kind: 'rebootstrap' }
  /** Expired and no IDevID to fall back on: a person must provision the device again. */
  | { kind: 'stranded' };

export function decide(now: Date, validity: Validity | null, renewAt: Date | null, hasIdevid: boolean): Decision {
  if (!validity) return hasIdevid ? { kind: 'rebootstrap' } : { kind: 'unenrolled' };
  // notAfter is the last second the certificate is valid (RFC 5280 4.1.2.5): past it, never use it.
  if (now.getTime() > validity.notAfter.getTime()) return hasIdevid ? { kind: 'rebootstrap' } : { kind: 'stranded' };
  if (renewAt && now.getTime() < renewAt.getTime()) return { kind: 'wait', until: renewAt };
  return { kind: 'renew' };
}

/**
 * After a failed attempt: wait the backoff (or the server's Retry-After), but wake at the certificate's expiry at the
 * latest, when renewal with it stops making sense and re-bootstrap takes over.
 */
export function retryDelay(now: Date, validity: Validity | null, attempt: number, policy: BackoffPolicy, random: number, retryAfterMs: number | null = null): number {
  // A server's Retry-After is honoured, within the same cap as our own backoff.
  const delay = retryAfterMs === null ? backoffDelay(attempt, policy, random) : Math.min(retryAfterMs, policy.maxMs);
  if (!validity) return delay;
  const untilExpiry = validity.notAfter.getTime() - now.getTime() + 1000;
  return untilExpiry > 0 ? Math.min(delay, untilExpiry) : delay;
}

/** A stable number in [0, 1) from a certificate fingerprint: the same renewal time after every restart. */
export function fingerprintFraction(fingerprintHex: string): number {
  return Number.parseInt(fingerprintHex.slice(0, 12), 16) / 2 ** 48;
}
