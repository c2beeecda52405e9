// `fleetpki-agent run`: keep the device's certificate current. The decision of what to do is
// schedule.ts's (pure); this file only sleeps, acts and counts failures. A server that is
// down is waited out with backoff; a certificate that expired meanwhile is never used again
// and the IDevID enrols the device afresh.

import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError, ServerUnavailable } from './errors.ts';
import type { AgentLog } from './log.ts';
import { enrollWithIdevid, renew } from './operations.ts';
import { decide, fingerprintFraction, renewalTime, retryDelay, type BackoffPolicy, type Decision } from './schedule.ts';
import type { AgentSettings } from './settings.ts';
import type { CurrentCertificate, StateDir } from './state.ts';

export interface DaemonOptions {
  backoff: BackoffPolicy;
  /** Look again at least this often: the clock may jump, or `renew` may have run meanwhile. */
  maxSleepMs: number;
  log: AgentLog;
  signal: AbortSignal;
  random?: () => number;
  /** Called after every new certificate is installed (e.g. to reload a service). */
  onInstalled?: (cert: CurrentCertificate, how: 'renew' | 'rebootstrap') => Promise<void> | void;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000 };

export function plan(settings: AgentSettings, current: CurrentCertificate | null, now: Date): Decision {
  const renewAt = current ? renewalTime(current.info, settings, fingerprintFraction(current.info.fingerprintSha256), current.serverRenewAfter) : null;
  return decide(now, current?.info ?? null, renewAt, settings.idevid !== null);
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
  } catch {
    // aborted: the loop sees the signal and ends
  }
}

async function act(settings: AgentSettings, state: StateDir, decision: Decision, current: CurrentCertificate | null): Promise<CurrentCertificate> {
  if (decision.kind === 'renew') return renew(settings, state, current!);
  if (decision.kind === 'rebootstrap') return enrollWithIdevid(settings, state);
  throw new AgentError(decision.kind === 'stranded' ? 'the certificate has expired and no IDevID is configured: provision the device again (fleetpki-agent enroll)' : 'not enrolled: run fleetpki-agent enroll');
}

export async function runDaemon(settings: AgentSettings, state: StateDir, options: DaemonOptions): Promise<void> {
  const random = options.random ?? Math.random;
  const { log, signal } = options;
  let failures = 0;
  let announced = '';
  while (!signal.aborted) {
    const current = state.current();
    const now = new Date();
    const decision = plan(settings, current, now);
    if (decision.kind === 'wait') {
      if (announced !== current!.info.fingerprintSha256) {
        announced = current!.info.fingerprintSha256;
        log.info('certificate is current', { serial: current!.info.serialHex, notAfter: current!.info.notAfter.toISOString(), renewAt: decision.until.toISOString() });
      }
      await pause(Math.min(decision.until.getTime() - now.getTime(), options.maxSleepMs), signal);
      continue;
    }
    try {
      const installed = await act(settings, state, decision, current);
      failures = 0;
      const how = decision.kind === 'renew' ? 'renew' : 'rebootstrap';
      log.info(how === 'renew' ? 'certificate renewed' : 're-bootstrapped with the IDevID', { serial: installed.info.serialHex, notAfter: installed.info.notAfter.toISOString() });
      await options.onInstalled?.(installed, how);
      // A CA near its own end caps lifetimes, so a new certificate can be due at once: pause
      // rather than renew in a tight loop.
      if (plan(settings, installed, new Date()).kind !== 'wait') await pause(options.backoff.baseMs, signal);
    } catch (error) {
      // Whatever went wrong (a server down, a refusal, a malformed answer), a daemon that
      // exits leaves the device to expire: log it and try again later.
      failures++;
      const hinted = error instanceof ServerUnavailable ? error.retryAfterMs : null;
      const delay = retryDelay(new Date(), current?.info ?? null, failures, options.backoff, random(), hinted);
      log.warn(`${decision.kind} failed; trying again later`, { error: (error as Error).message, attempt: failures, retryInMs: delay, certificateExpires: current?.info.notAfter.toISOString() ?? null });
      await pause(delay, signal);
    }
  }
}
