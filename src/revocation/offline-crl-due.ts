// When a CA's full CRL needs an operator: missing, past its nextUpdate, or, for a CA kept
// offline, close enough to its nextUpdate that the round trip to the offline instance
// (crl request, sign-request there, crl import here) must start now. A CA with its key here
// re-signs by itself; one kept offline cannot, and a walk to an air-gapped machine takes
// more than the hours the scheduler needs, so its alert comes a third of the CRL's validity
// ahead (a week and a half for a 31-day CRL), never less than crl.refreshBeforeHours.

import type { Config } from '../config/schema.ts';
import type { CaRow } from '../store/repos/cas.ts';
import type { CrlMeta } from './crl-rows.ts';

const HOUR_MS = 3_600_000;

/** For an imported CRL: when the operator should bring the next one. */
export function offlineCrlDueAt(config: Config, meta: CrlMeta): number {
  const nextUpdate = Date.parse(meta.next_update);
  const validity = nextUpdate - Date.parse(meta.this_update);
  const lead = Math.min(Math.max(config.crl.refreshBeforeHours * HOUR_MS, validity / 3), validity / 2);
  return nextUpdate - lead;
}

export interface CrlStaleness {
  summary: string;
  details: { ca: string; nextUpdate: string | null; hasKey: boolean; dueAt?: string };
}

/** Null while the CA's full CRL (`meta`, undefined when there is none) needs nothing from anyone. */
export function crlStaleness(config: Config, ca: CaRow, meta: CrlMeta | undefined, now: Date): CrlStaleness | null {
  const hasKey = ca.encrypted_key !== null;
  const details = { ca: ca.name, nextUpdate: meta?.next_update ?? null, hasKey };
  const roundTrip = `bring one from the offline instance: fleetpki crl request --ca ${ca.name}, crl sign-request there, crl import here`;
  if (!meta) return { summary: hasKey ? `CA ${ca.name} has no CRL` : `CA ${ca.name} has no CRL (offline CA: ${roundTrip})`, details };
  if (Date.parse(meta.next_update) <= now.getTime()) {
    return { summary: `the CRL of CA ${ca.name} expired at ${meta.next_update}${hasKey ? '' : ` (offline CA: ${roundTrip})`}`, details };
  }
  if (hasKey) return null;
  const dueAt = offlineCrlDueAt(config, meta);
  if (dueAt > now.getTime()) return null;
  return { summary: `the CRL of offline CA ${ca.name} runs out at ${meta.next_update}: ${roundTrip}`, details: { ...details, dueAt: new Date(dueAt).toISOString() } };
}
