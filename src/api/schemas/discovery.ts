// Response and request shapes of /api/v1/discovery (views in src/discovery/views.ts).

import Type from 'typebox';
import { FINDING_KIND_NAMES, RESOLUTIONS } from '../../discovery/kinds.ts';
import { LIMITS, MAX_TARGETS } from '../../discovery/options.ts';
import { FreeObject, Nullable, Timestamp } from './common.ts';
import { Criticality } from './views.ts';

export const FindingKind = Type.Enum(FINDING_KIND_NAMES);
export const FindingStatus = Type.Enum(['open', 'resolved', 'dismissed']);
export const Severity = Type.Enum(['critical', 'high', 'medium', 'low']);
export const Trust = Type.Enum(['fleetpki', 'fleetpki-claimed', 'manufacturer', 'self-signed', 'unknown'], {
  description: 'fleetpki-claimed: names a fleetpki CA as issuer without its signature',
});

const range = (key: keyof typeof LIMITS, description: string) => Type.Optional(Type.Integer({ minimum: LIMITS[key][0], maximum: LIMITS[key][1], description }));

export const RunOptionsFields = {
  expiringWithinDays: range('expiringWithinDays', 'Certificates expiring within this many days get an "expiring" finding (default 30)'),
};

export const ScanBody = Type.Object(
  {
    targets: Type.Array(Type.String({ minLength: 1, maxLength: 260 }), { minItems: 1, maxItems: MAX_TARGETS, description: 'host:port, [v6]:port or a name (port 443, sent as SNI)' }),
    ...RunOptionsFields,
    concurrency: range('concurrency', 'Endpoints probed at once (default 16)'),
    timeoutMs: range('timeoutMs', 'Connect and handshake timeout per endpoint in ms (default 5000)'),
  },
  { additionalProperties: false },
);

export const RunTargetView = Type.Object({
  target: Type.String(),
  outcome: Type.Enum(['ok', 'partial', 'error']),
  error: Nullable(Type.String()),
  certificates: Type.Integer(),
  details: FreeObject,
  finishedAt: Timestamp,
});

export const RunView = Type.Object({
  id: Type.String(),
  kind: Type.Enum(['scan', 'import']),
  status: Type.Enum(['running', 'completed', 'failed', 'interrupted']),
  actor: Type.String(),
  options: FreeObject,
  targetsTotal: Type.Integer(),
  targetsDone: Type.Integer(),
  targetsFailed: Type.Integer(),
  certificatesSeen: Type.Integer(),
  findingsOpened: Type.Integer(),
  error: Nullable(Type.String()),
  startedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  targets: Type.Optional(Type.Array(RunTargetView)),
});

export const SightingView = Type.Object({
  source: Type.Enum(['endpoint', 'file', 'upload']),
  location: Type.String({ description: 'host:port, a file path, or upload:<label>' }),
  role: Type.Enum(['leaf', 'chain']),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  lastRunId: Type.String(),
});

export const DiscoveredView = Type.Object({
  id: Type.String(),
  fingerprintSha256: Type.String(),
  spkiSha256: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  serial: Type.String(),
  sans: Type.Array(Type.String()),
  keyType: Type.String(),
  signatureAlgorithm: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  isCa: Type.Boolean(),
  trust: Trust,
  inventoryCertificateId: Nullable(Type.String()),
  adoptedDeviceId: Nullable(Type.String()),
  adoptedAt: Nullable(Timestamp),
  owner: Nullable(Type.String()),
  replacementRequestedAt: Nullable(Timestamp),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  seenAt: Type.Array(SightingView),
  pem: Type.String(),
});

export const FindingView = Type.Object({
  id: Type.String(),
  kind: FindingKind,
  severity: Severity,
  status: FindingStatus,
  summary: Type.String(),
  evidence: FreeObject,
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  lastRunId: Type.String(),
  resolution: Nullable(Type.String({ description: 'adopt, assign-owner, replace, dismiss, or cleared when a later run found the condition gone' })),
  resolutionDetails: Nullable(FreeObject),
  resolvedBy: Nullable(Type.String()),
  resolvedAt: Nullable(Timestamp),
  certificate: DiscoveredView,
});

const Text = (description: string) => Type.String({ minLength: 1, maxLength: 1000, description });
const Label = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

export const NewDevice = Type.Object(
  {
    externalSerial: Label('Serial of the device to register'),
    deviceClass: Label('e.g. sensor, gateway'),
    environment: Label('e.g. production, lab'),
    model: Type.Optional(Label('Model')),
    site: Type.Optional(Label('Site')),
    owner: Type.Optional(Label('Owner')),
    criticality: Type.Optional(Criticality),
  },
  { additionalProperties: false },
);

export const ResolveBody = Type.Object(
  {
    action: Type.Enum([...RESOLUTIONS], { description: 'adopt: link to a device (deviceId, or device to register); assign-owner: owner; replace: mark for replacement; dismiss: reason' }),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'adopt into this existing device' })),
    device: Type.Optional(NewDevice),
    owner: Type.Optional(Label('assign-owner: the team or person answerable for the certificate')),
    reason: Type.Optional(Text('dismiss: why this finding needs no action')),
    note: Type.Optional(Text('adopt, assign-owner, replace: free text kept with the resolution')),
  },
  { additionalProperties: false },
);

export const Resolved = Type.Object({ finding: FindingView });

