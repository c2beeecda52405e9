// Response shapes of /api/v1/reports (src/reporting): the risk ranking and the compliance summary.

import Type from 'typebox';
import { Nullable, Timestamp } from './common.ts';

const Count = Type.Integer({ minimum: 0 });

export const RiskItemView = Type.Object({
  certificateId: Type.String(),
  serial: Type.String(),
  subject: Type.String(),
  profile: Type.String(),
  keyType: Type.String(),
  status: Type.String({ description: 'valid or on_hold' }),
  notAfter: Timestamp,
  daysLeft: Type.Number({ description: 'Negative once expired, to one decimal' }),
  device: Nullable(
    Type.Object({
      id: Type.String(),
      serial: Type.String(),
      deviceClass: Type.String(),
      criticality: Type.String(),
      status: Type.String(),
      owner: Nullable(Type.String()),
    }),
  ),
  score: Type.Integer({ description: 'weight x (expiry + failedRenewal + orphan + weakKey); see docs/reporting.md' }),
  points: Type.Object({ weight: Count, expiry: Count, failedRenewal: Count, orphan: Count, weakKey: Count }),
  reasons: Type.Array(Type.String(), { description: 'expired, expires-within-<n>d, renewal-failed, orphan, weak-key' }),
});

export const RiskPageView = Type.Object({
  asOf: Timestamp,
  items: Type.Array(RiskItemView),
  nextCursor: Nullable(Type.String()),
  segmentsRead: Type.Array(Type.String(), { description: 'Slices of the ledger read for this page' }),
});

const CheckView = Type.Object({
  failing: Count,
  unit: Type.Enum(['certificates', 'devices']),
  examples: Type.Array(Type.String(), { description: 'Up to five ids of what fails: certificates or devices; discovered:<id> for a certificate adopted from discovery' }),
});

export const ComplianceView = Type.Object({
  asOf: Timestamp,
  classes: Type.Array(
    Type.Object({
      deviceClass: Nullable(Type.String()),
      devices: Count,
      liveCertificates: Count,
      adoptedCertificates: Type.Integer({ minimum: 0, description: 'Live certificates adopted from discovery (not in the ledger)' }),
      keyTypes: Type.Record(Type.String(), Count),
      withoutProfilePolicy: Count,
      checks: Type.Object({
        uniqueKey: CheckView,
        oneCurrentPerProfile: CheckView,
        keyPolicy: CheckView,
        lifetime: CheckView,
        trustedIssuer: CheckView,
        owner: CheckView,
      }),
      compliant: Type.Boolean(),
    }),
  ),
});
