// What `fleetpki-agent status` reports: the certificate the device holds, where it stands in
// its lifetime, and when the agent will renew it.

import { plan } from './daemon.ts';
import { renewalPoint, usablePoint } from './schedule.ts';
import type { AgentSettings } from './settings.ts';
import type { CurrentCertificate } from './state.ts';

export type Standing = 'valid' | 'renewal-due' | 'expired' | 'not-enrolled';

export interface AgentStatus {
  standing: Standing;
  server: string;
  label: string | null;
  serial: string;
  key: string;
  idevid: string | null;
  certificate: null | {
    subject: string;
    issuer: string;
    serialNumber: string;
    notBefore: string;
    notAfter: string;
    /** Where renewal may start, and who said so: the server (Fleetpki-Renew-After) or the renewAfter setting. */
    renewalPoint: string;
    renewalPointFrom: 'server' | 'settings';
    renewAt: string | null;
    fingerprintSha256: string;
  };
}

export function statusOf(settings: AgentSettings, current: CurrentCertificate | null, now: Date): AgentStatus {
  const decision = plan(settings, current, now);
  const standing: Standing = !current ? 'not-enrolled' : now > current.info.notAfter ? 'expired' : decision.kind === 'wait' ? 'valid' : 'renewal-due';
  return {
    standing,
    server: settings.server,
    label: settings.label,
    serial: settings.serial,
    key: settings.keyCommand ? `key command: ${settings.keyCommand}` : `software ${settings.keyType} (key.pem)`,
    idevid: settings.idevid?.cert ?? null,
    certificate: current && {
      subject: current.info.subject,
      issuer: current.info.issuer,
      serialNumber: current.info.serialHex,
      notBefore: current.info.notBefore.toISOString(),
      notAfter: current.info.notAfter.toISOString(),
      renewalPoint: renewalPoint(current.info, settings, current.serverRenewAfter).toISOString(),
      renewalPointFrom: usablePoint(current.info, current.serverRenewAfter) ? 'server' : 'settings',
      renewAt: decision.kind === 'wait' ? decision.until.toISOString() : null,
      fingerprintSha256: current.info.fingerprintSha256,
    },
  };
}

export function humanStatus(s: AgentStatus): string {
  const rows: Array<[string, string | null]> = [
    ['state', s.standing],
    ['server', `${s.server}${s.label ? ` (label ${s.label})` : ''}`],
    ['device serial', s.serial],
    ['key', s.key],
    ['idevid', s.idevid ?? 'none'],
  ];
  if (s.certificate) {
    const c = s.certificate;
    rows.push(['subject', c.subject], ['issuer', c.issuer], ['serial number', c.serialNumber], ['not before', c.notBefore], ['not after', c.notAfter], ['renewal point', `${c.renewalPoint} (${c.renewalPointFrom === 'server' ? 'from the server' : 'from renewAfter'})`], ['renew at', c.renewAt ?? 'now']);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v ?? '-'}`).join('\n');
}
