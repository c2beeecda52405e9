// A value recomputed at most once per interval, however many callers ask: Prometheus may
// scrape every few seconds, from several servers, and each inventory count must not run
// more often than the interval. Concurrent callers share the computation in flight; a
// failed computation is not kept, so the next caller tries again.

export class Cached<T> {
  readonly #compute: () => Promise<T>;
  readonly #ttlMs: number;
  #value: Promise<T> | undefined;
  #at = 0;

  constructor(compute: () => Promise<T>, ttlMs: number) {
    this.#compute = compute;
    this.#ttlMs = ttlMs;
  }

  get(now = Date.now()): Promise<T> {
    if (this.#value && now - this.#at < this.#ttlMs) return this.#value;
    this.#at = now;
    const value = this.#compute();
    this.#value = value;
    value.catch(() => {
      if (this.#value === value) this.#value = undefined;
    });
    return value;
  }
}
