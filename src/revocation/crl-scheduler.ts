// Keeps CRLs current: re-signs them after revocations (a burst within crl.debounceMs is one
// regeneration) and before their nextUpdate, then republishes the gateway files. `serve`
// starts it and stops it on shutdown; the CLI only listens, and flushes before it exits.

import type { Context, RevocationEvent } from '../app/context.ts';
import { crlService, type CrlService } from './crl-service.ts';
import { publishCrls } from './publish.ts';

/** Re-read the store at least this often: another process (the CLI) may have stored CRLs. */
const MAX_SLEEP_MS = 3_600_000;
const MIN_SLEEP_MS = 1_000;
const RETRY_MS = 60_000;

export class CrlScheduler {
  readonly #ctx: Context;
  readonly #service: CrlService;
  /** Changed certificates by issuer, waiting for the next regeneration. */
  #pending = new Map<string, Set<string>>();
  #debounce: NodeJS.Timeout | null = null;
  #refresh: NodeJS.Timeout | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #listening = false;
  /** Timers run only after start(); a listening CLI process regenerates in flush(). */
  #background = false;
  #stopped = false;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#service = crlService(ctx);
  }

  readonly #onRevocation = (event: RevocationEvent): void => {
    for (const issuerId of event.issuerIds) {
      const ids = this.#pending.get(issuerId) ?? new Set<string>();
      for (const id of event.certificateIds) ids.add(id);
      this.#pending.set(issuerId, ids);
    }
    // The window opens with the first event and does not slide: a steady stream of
    // revocations still gets its CRLs re-signed every debounceMs.
    if (!this.#debounce && this.#background && !this.#stopped) {
      this.#debounce = setTimeout(() => {
        this.#debounce = null;
        this.#enqueue(() => this.#regenerate()).catch((error) => this.#failed(error, 'after revocations'));
      }, this.#ctx.config.crl.debounceMs);
    }
  };

  /** Only follow revocation events (the CLI: no timers, flush() before exit). */
  listen(): this {
    if (!this.#listening) this.#ctx.events.on('revocation', this.#onRevocation);
    this.#listening = true;
    return this;
  }

  /**
   * Listen, bring every CA's CRLs up to date and publish them, then keep them so. A failure
   * (no passphrase, a full disk) is logged and retried: the stored CRLs are still served.
   */
  async start(): Promise<void> {
    this.listen();
    this.#background = true;
    try {
      await this.#enqueue(async () => {
        await this.#service.sweep();
        await publishCrls(this.#ctx);
      });
      await this.#arm();
    } catch (error) {
      this.#failed(error, 'at start');
    }
  }

  /** Regenerate for the revocations seen so far, now; rejects if that fails. */
  async flush(): Promise<void> {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = null;
    await this.#enqueue(() => this.#regenerate());
  }

  /** Stop listening and cancel the timers; resolves once a running regeneration has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ctx.events.off('revocation', this.#onRevocation);
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#refresh) clearTimeout(this.#refresh);
    this.#debounce = this.#refresh = null;
    await this.#chain.catch(() => undefined);
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#chain.catch(() => undefined).then(job);
    this.#chain = run;
    return run;
  }

  async #regenerate(): Promise<void> {
    const pending = this.#pending;
    this.#pending = new Map();
    if (pending.size === 0) return;
    try {
      for (const [issuerId, ids] of pending) await this.#service.afterRevocation(issuerId, [...ids]);
    } catch (error) {
      // Keep what failed for the next attempt (the refresh timer retries).
      for (const [issuerId, ids] of pending) this.#pending.set(issuerId, new Set([...(this.#pending.get(issuerId) ?? []), ...ids]));
      throw error;
    }
    // Published files need a current CRL of every CA, not only of the ones just revoked from.
    await this.#service.sweep();
    await publishCrls(this.#ctx);
  }

  async #refreshNow(): Promise<void> {
    await this.#regenerate();
    if (await this.#service.sweep()) await publishCrls(this.#ctx);
  }

  async #arm(delay?: number): Promise<void> {
    if (this.#stopped) return;
    if (delay === undefined) {
      const due = await this.#service.nextDue();
      delay = due === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(MIN_SLEEP_MS, due - Date.now()));
    }
    if (this.#refresh) clearTimeout(this.#refresh);
    this.#refresh = setTimeout(() => {
      this.#refresh = null;
      this.#enqueue(() => this.#refreshNow())
        .then(() => this.#arm())
        .catch((error) => this.#failed(error, 'on schedule'));
    }, delay);
    // Never what keeps a process alive; serve's listener does that.
    this.#refresh.unref();
  }

  /** Logged, never thrown at a timer: the next attempt comes from the refresh timer. */
  #failed(error: unknown, when: string): void {
    this.#ctx.log.error({ err: error }, `CRL regeneration ${when} failed; retrying within a minute`);
    if (!this.#stopped) void this.#arm(RETRY_MS).catch(() => undefined);
  }
}
