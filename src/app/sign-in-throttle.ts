// Failed dashboard sign-ins slow the next attempt down, per username and per source address,
// so a password cannot be guessed online and a flood of guesses cannot keep the CPU busy with
// scrypt. After `freeFailures` failures in a row a key waits 1 s before its next attempt is
// even checked, then 2 s, 4 s ... up to `maxDelayMs`; a successful sign-in clears the
// username's count, and a key with no failure for `forgetAfterMs` is forgotten. A source
// address gets four times the free failures of a username, since one office behind NAT
// shares an address. The same rule applies to names that are no account, so the answer
// never tells whether a username exists.
//
// Kept in memory per process: several instances behind a load balancer each count their own
// (docs/dashboard.md). The table is bounded; the oldest entries go first.

import type { Context } from './context.ts';

export interface ThrottleLimits {
  freeFailures: number;
  maxDelayMs: number;
  forgetAfterMs?: number;
  maxEntries?: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** Throttled attempts not audited one by one since the last audited one. */
  suppressed: number;
  /** The throttled attempt of this lock-out was audited already. */
  audited: boolean;
}

export interface ThrottleVerdict {
  /** 0 when the attempt may be checked now. */
  retryAfterMs: number;
  /** Which key holds the attempt back, for the audit event. */
  key?: string;
  failures?: number;
  /** True for the first throttled attempt of a lock-out: audit it; later ones are only counted. */
  audit?: boolean;
}

const SOURCE_FACTOR = 4;

export class SignInThrottle {
  readonly #limits: Required<ThrottleLimits>;
  readonly #entries = new Map<string, Entry>();

  constructor(limits: ThrottleLimits) {
    this.#limits = { forgetAfterMs: 3_600_000, maxEntries: 50_000, ...limits };
  }

  #keys(username: string, from: string | undefined): Array<[string, number]> {
    const keys: Array<[string, number]> = [[`user:${username.toLowerCase()}`, this.#limits.freeFailures]];
    if (from) keys.push([`from:${from}`, this.#limits.freeFailures * SOURCE_FACTOR]);
    return keys;
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastFailure > this.#limits.forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #delay(failures: number, free: number): number {
    if (failures < free) return 0;
    return Math.min(1000 * 2 ** Math.min(failures - free, 30), this.#limits.maxDelayMs);
  }

  /** Whether an attempt may be checked now; a held-back attempt is counted, never checked. */
  check(username: string, from: string | undefined, now = Date.now()): ThrottleVerdict {
    let verdict: ThrottleVerdict = { retryAfterMs: 0 };
    for (const [key, free] of this.#keys(username, from)) {
      const entry = this.#live(key, now);
      if (!entry) continue;
      const wait = entry.lastFailure + this.#delay(entry.failures, free) - now;
      if (wait > verdict.retryAfterMs) verdict = { retryAfterMs: wait, key, failures: entry.failures };
    }
    if (verdict.key) {
      const entry = this.#entries.get(verdict.key)!;
      verdict.audit = !entry.audited;
      if (entry.audited) entry.suppressed += 1;
      entry.audited = true;
    }
    return verdict;
  }

  /** Throttled attempts counted but not audited since the last audit event for these keys; resets them. */
  drainSuppressed(username: string, from: string | undefined): number {
    let total = 0;
    for (const [key] of this.#keys(username, from)) {
      const entry = this.#entries.get(key);
      if (!entry) continue;
      total += entry.suppressed;
      entry.suppressed = 0;
    }
    return total;
  }

  failed(username: string, from: string | undefined, now = Date.now()): void {
    for (const [key] of this.#keys(username, from)) {
      const entry = this.#live(key, now) ?? { failures: 0, lastFailure: now, suppressed: 0, audited: false };
      // A new failure starts a new lock-out, whose first held-back attempt is audited again.
      entry.failures += 1;
      entry.lastFailure = now;
      entry.audited = false;
      // Re-inserted at the end, so the first entries are the longest unused.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    while (this.#entries.size > this.#limits.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeeded(username: string): void {
    this.#entries.delete(`user:${username.toLowerCase()}`);
  }

  get size(): number {
    return this.#entries.size;
  }
}

const throttles = new WeakMap<Context, SignInThrottle>();

/** The process's throttle for this store, made from the dashboard configuration on first use. */
export function signInThrottle(ctx: Context): SignInThrottle {
  let throttle = throttles.get(ctx);
  if (!throttle) {
    const { signInFreeFailures, signInMaxDelaySeconds } = ctx.config.dashboard;
    throttle = new SignInThrottle({ freeFailures: signInFreeFailures, maxDelayMs: signInMaxDelaySeconds * 1000 });
    throttles.set(ctx, throttle);
  }
  return throttle;
}
