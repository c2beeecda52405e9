// A ranked row as the API, CLI and dashboard show it: the certificate, its device, the score
// and the parts it is made of, so a person sees why it ranks where it does.

import { DAY_SECONDS } from './sql-time.ts';
import { EXPIRY_BUCKETS } from './risk-score.ts';

export interface RiskRow {
  id: string;
  serial_hex: string;
  subject: string;
  profile: string;
  key_type: string;
  status: string;
  not_after: string;
  device_id: string | null;
  external_serial: string | null;
  device_class: string | null;
  criticality: string | null;
  device_status: string | null;
  owner: string | null;
  w: number;
  e: number;
  f: number;
  o: number;
  k: number;
  score: number;
}

export interface RiskItem {
  certificateId: string;
  serial: string;
  subject: string;
  profile: string;
  keyType: string;
  status: string;
  notAfter: string;
  /** Negative once expired; to one decimal. */
  daysLeft: number;
  device: { id: string; serial: string; deviceClass: string; criticality: string; status: string; owner: string | null } | null;
  score: number;
  points: { weight: number; expiry: number; failedRenewal: number; orphan: number; weakKey: number };
  /** expired, expires-within-<n>d, renewal-failed, orphan, weak-key. */
  reasons: string[];
}

function reasons(row: RiskRow): string[] {
  const out: string[] = [];
  const bucket = EXPIRY_BUCKETS.find((b) => b.points === Number(row.e));
  if (row.e > 0) out.push(bucket ? `expires-within-${bucket.withinDays}d` : 'expired');
  if (row.f > 0) out.push('renewal-failed');
  if (row.o > 0) out.push('orphan');
  if (row.k > 0) out.push('weak-key');
  return out;
}

export function riskItem(row: RiskRow, asOf: Date): RiskItem {
  const daysLeft = Math.round(((Date.parse(row.not_after) - asOf.getTime()) / 1000 / DAY_SECONDS) * 10) / 10;
  const device = row.device_id && row.external_serial !== null
    ? { id: row.device_id, serial: row.external_serial, deviceClass: row.device_class!, criticality: row.criticality!, status: row.device_status!, owner: row.owner }
    : null;
  return {
    certificateId: row.id,
    serial: row.serial_hex,
    subject: row.subject,
    profile: row.profile,
    keyType: row.key_type,
    status: row.status,
    notAfter: row.not_after,
    daysLeft,
    device,
    score: Number(row.score),
    points: { weight: Number(row.w), expiry: Number(row.e), failedRenewal: Number(row.f), orphan: Number(row.o), weakKey: Number(row.k) },
    reasons: reasons(row),
  };
}
