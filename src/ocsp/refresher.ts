// The responder's background work, started by `serve`: keep a delegated signer with life left
// for every CA, pick up revocations and releases from hold that other processes (the CLI,
// another instance) wrote to the store, and re-sign cached responses before their nextUpdate. One tick at a time; close()
// stops the timer and waits for the tick under way.

import type { Logger } from 'pino';
import type { OcspResponder } from './responder.ts';
import { releasedAmong, revokedSince } from './status.ts';

/** Revocations are looked for from this long before the last look: another process's clock, or a late commit. */
const LOOKBACK_MS = 60_000;

export interface Refresher {
  /** Runs one tick now (tests; the timer runs them otherwise). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

export interface RefresherOptions {
  intervalMs: number;
  log: Logger;
  db: Parameters<typeof revokedSince>[0];
}

/** Finds revocations committed since the last look; each certificate is reported once. */
function revocationWatcher(options: RefresherOptions, responder: OcspResponder) {
  let lastLook = Date.now();
  const seen = new Map<string, number>();
  return async () => {
    const since = lastLook - LOOKBACK_MS;
    lastLook = Date.now();
    const fresh: string[] = [];
    for (const row of await revokedSince(options.db, new Date(since))) {
      if (!seen.has(row.id)) fresh.push(row.id);
      seen.set(row.id, Date.parse(row.revoked_at ?? '') || lastLook);
    }
    for (const [id, at] of seen) if (at < since) seen.delete(id);
    // A release from hold sets the row valid again with no timestamp to poll for; held answers are few, so ask about each.
    const held = responder.cache.heldCertificates();
    for (let i = 0; i < held.length; i += 500) fresh.push(...(await releasedAmong(options.db, held.slice(i, i + 500))));
    if (fresh.length > 0) responder.invalidate(fresh);
  };
}

export function startOcspRefresher(responder: OcspResponder, options: RefresherOptions): Refresher {
  const watchRevocations = revocationWatcher(options, responder);
  let running: Promise<void> | null = null;
  const work = async () => {
    try {
      await responder.prepareSigners();
      await watchRevocations();
      const { resigned, dropped } = await responder.refresh();
      if (resigned || dropped) options.log.debug({ resigned, dropped }, 'OCSP responses refreshed');
    } catch (error) {
      options.log.error({ err: error }, 'OCSP refresh failed; will retry');
    }
  };
  const tick = () => (running ??= work().finally(() => (running = null)));
  // At once, so that the signers exist (and their keys are unsealed) before the first query.
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs);
  return {
    tick,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
