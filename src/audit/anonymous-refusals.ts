// Refusals of requests nobody could be identified for (REST: no token, a wrong or revoked
// token, an ended session; EST: no credential, an unknown bootstrap token) are audited, but a client repeating the same refused request must not grow
// the audit log without bound: per client address, route and reason, the first refusal of
// each minute is written, the repeats are counted and their number goes into the next event
// written for that key (`repeatsUnaudited`). So the log grows by at most one event per
// route and reason a minute per address, whatever the request rate. Refusals of identified callers
// (a role that may not act, a missing CSRF token) are always written one by one: someone is
// accountable for each. Kept in memory, bounded; the oldest keys go first.

const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

interface Window {
  startedAt: number;
  repeats: number;
}

export interface SampleVerdict {
  /** Write this refusal's audit event. */
  write: boolean;
  /** Repeats counted since the last written event for this key, to put into it. */
  repeats: number;
}

export class AnonymousRefusals {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;

  constructor(windowMs = WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  sample(from: string, route: string, reason: string, now = Date.now()): SampleVerdict {
    const key = `${from}\n${route}\n${reason}`;
    const window = this.#windows.get(key);
    if (window && now - window.startedAt < this.#windowMs) {
      window.repeats += 1;
      return { write: false, repeats: window.repeats };
    }
    const repeats = window?.repeats ?? 0;
    this.#windows.delete(key);
    this.#windows.set(key, { startedAt: now, repeats: 0 });
    if (this.#windows.size > MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value!);
    return { write: true, repeats };
  }
}
