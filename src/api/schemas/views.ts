// Response shapes of the views in src/app (views.ts, cas.ts, tokens.ts). Fastify serialises
// responses through these schemas, so a field missing here never reaches a client: a new
// field in a view must be added here too, and a secret added there by mistake stays out.

import Type from 'typebox';
import { REVOCATION_REASON_NAMES } from '../../ca/revocation-reasons.ts';
import { FreeObject, Nullable, Timestamp } from './common.ts';

export const DeviceStatus = Type.Enum(['registered', 'active', 'suspended', 'decommissioned']);
export const Criticality = Type.Enum(['low', 'medium', 'high', 'critical']);
export const CertificateStatus = Type.Enum(['valid', 'revoked', 'on_hold']);
export const RevocationReason = Type.Enum(REVOCATION_REASON_NAMES);
export const Role = Type.Enum(['admin', 'operator', 'auditor']);

export const DeviceView = Type.Object({
  id: Type.String(),
  externalSerial: Type.String(),
  model: Nullable(Type.String()),
  deviceClass: Type.String(),
  environment: Type.String(),
  site: Nullable(Type.String()),
  owner: Nullable(Type.String()),
  criticality: Criticality,
  status: DeviceStatus,
  metadata: FreeObject,
  manufacturer: Nullable(Type.String({ description: 'The registered manufacturer whose IDevIDs alone may enrol this device; null: any registered manufacturer' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CertificateView = Type.Object({
  id: Type.String(),
  issuer: Type.String({ description: 'Name of the issuing CA' }),
  serial: Type.String({ description: 'Lower-case hex' }),
  subject: Type.String(),
  sans: Type.Array(Type.String()),
  keyType: Type.String(),
  spkiSha256: Type.String(),
  fingerprintSha256: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  renewAfter: Timestamp,
  status: CertificateStatus,
  revocationReason: Nullable(Type.String()),
  revokedAt: Nullable(Timestamp),
  profile: Type.String(),
  deviceId: Nullable(Type.String()),
  replacesId: Nullable(Type.String()),
  createdAt: Timestamp,
  pem: Type.String(),
});

export const CaView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Enum(['root', 'issuing']),
  status: Type.Enum(['active', 'retired']),
  parent: Nullable(Type.String()),
  keyType: Type.String(),
  subject: Type.String(),
  serial: Type.String(),
  subjectKeyId: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  hasKey: Type.Boolean({ description: 'False for an offline CA whose certificate only was imported' }),
  certificatePem: Type.String(),
});

export const AuditEventView = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String(),
  target: Nullable(Type.String()),
  outcome: Type.Enum(['success', 'refused', 'error']),
  details: FreeObject,
  hash: Type.String(),
});

export const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  lastUsedAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
});
