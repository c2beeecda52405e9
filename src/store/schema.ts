// The one schema both engines (SQLite through node:sqlite, PostgreSQL through pg) share.
// Conventions that keep every query portable:
// - timestamps are ISO 8601 UTC text from Date.toISOString(), which sorts lexicographically,
//   so "expiring before" is a plain string comparison on both engines;
// - JSON is stored as text and parsed by the repositories;
// - binary columns (DER, encrypted keys) are BLOB on SQLite and BYTEA on PostgreSQL and
//   always come back to callers as Buffer;
// - no booleans (SQLite has none): states are text enums.

export type Engine = 'sqlite' | 'postgres';

export type CaKind = 'root' | 'issuing';
export type CaStatus = 'active' | 'retired';
export type DeviceStatus = 'registered' | 'active' | 'suspended' | 'decommissioned';
export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export type CertificateStatus = 'valid' | 'revoked' | 'on_hold';
export type Role = 'admin' | 'operator' | 'auditor';

export interface CasTable {
  id: string;
  name: string;
  parent_id: string | null;
  kind: CaKind;
  status: CaStatus;
  key_type: string;
  subject: string;
  serial_hex: string;
  ski_hex: string;
  not_before: string;
  not_after: string;
  certificate_der: Buffer;
  /** Encrypted private key (software signer); null when only the certificate was imported (offline root). */
  key_ref: string | null;
  encrypted_key: Buffer | null;
  created_at: string;
}

export interface ProfilesTable {
  name: string;
  /** JSON of the Profile type (src/ra/profile.ts). */
  definition: string;
  created_at: string;
  updated_at: string;
}

export interface DevicesTable {
  id: string;
  external_serial: string;
  model: string | null;
  device_class: string;
  environment: string;
  site: string | null;
  owner: string | null;
  criticality: Criticality;
  status: DeviceStatus;
  /** JSON object of free metadata. */
  metadata: string;
  /** Name of the registered manufacturer whose IDevIDs may enrol this device; null: any registered manufacturer's. */
  manufacturer: string | null;
  created_at: string;
  updated_at: string;
}

export interface CertificatesTable {
  id: string;
  issuer_id: string;
  serial_hex: string;
  subject: string;
  /** JSON array of "dns:x", "ip:x", "uri:x", "email:x". */
  sans: string;
  key_type: string;
  spki_sha256: string;
  fingerprint_sha256: string;
  not_before: string;
  not_after: string;
  renew_after: string;
  status: CertificateStatus;
  revocation_reason: string | null;
  revoked_at: string | null;
  profile: string;
  device_id: string | null;
  replaces_id: string | null;
  der: Buffer;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: Role;
  /** SHA-256 hex of the token: tokens are 256-bit random, so a fast hash is enough. */
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: 'success' | 'refused' | 'error';
  /** JSON object. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** Single row (id = 1): the last sequence number and hash, so appends chain and a truncated tail is detected. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** The latest CRL of one CA partition (see src/revocation). */
export interface CrlsTable {
  ca_id: string;
  partition: string;
  crl_number: number;
  this_update: string;
  next_update: string;
  entries: number;
  der: Buffer;
}

/** Delegated OCSP signing certificates (id-pkix-ocsp-nocheck) fleetpki issues for each CA. */
export interface OcspSignersTable {
  id: string;
  ca_id: string;
  certificate_der: Buffer;
  encrypted_key: Buffer;
  not_before: string;
  not_after: string;
  created_at: string;
}

/** A responder key made here for a CA kept offline, waiting for its certificate (`fleetpki ocsp request`). */
export interface OcspSignerRequestsTable {
  id: string;
  ca_id: string;
  spki_sha256: string;
  encrypted_key: Buffer;
  request_sha256: string;
  created_at: string;
}

/** One-time EST bootstrap secrets, bound to a device and a profile. */
export interface BootstrapTokensTable {
  id: string;
  /** SHA-256 hex of the token. */
  token_hash: string;
  device_id: string;
  profile: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

/** Manufacturer CA certificates that devices' IDevID birth certificates chain to. */
export interface ManufacturersTable {
  id: string;
  name: string;
  subject: string;
  ski_hex: string;
  certificate_der: Buffer;
  created_at: string;
}

/** One firmware signing by `fleetpki firmware sign` (src/app/firmware.ts). */
export interface FirmwareSignaturesTable {
  id: string;
  image_sha256: string;
  image_size: number;
  version: string;
  /** The release signer's code-signing certificate. */
  certificate_id: string;
  /** Who ran the signing (cli:<user>). */
  actor: string;
  /** The signed manifest, exactly as signed (JSON text). */
  manifest: string;
  signing_time: string;
  created_at: string;
}

/** Discovery (src/discovery): a scan of TLS endpoints or an import of certificate files. */
export type DiscoveryRunKind = 'scan' | 'import';
export type DiscoveryRunStatus = 'running' | 'completed' | 'failed' | 'interrupted';
export type DiscoveryTargetOutcome = 'ok' | 'partial' | 'error';
export type DiscoverySource = 'endpoint' | 'file' | 'upload';
/** leaf: the certificate an endpoint or file presents as its own; chain: a CA certificate sent with it. */
export type SightingRole = 'leaf' | 'chain';
/** How a discovered certificate relates to the trust fleetpki knows (its CAs, manufacturer anchors). */
export type DiscoveredTrust = 'fleetpki' | 'fleetpki-claimed' | 'manufacturer' | 'self-signed' | 'unknown';
export type FindingStatus = 'open' | 'resolved' | 'dismissed';
export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low';

export interface DiscoveryRunsTable {
  id: string;
  kind: DiscoveryRunKind;
  status: DiscoveryRunStatus;
  actor: string;
  /** JSON of the run's options (expiry threshold, concurrency, timeout). */
  options: string;
  targets_total: number;
  targets_done: number;
  targets_failed: number;
  certificates_seen: number;
  findings_opened: number;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

/** What happened at one target of a run: an endpoint (host:port) or a file. */
export interface DiscoveryRunTargetsTable {
  id: string;
  run_id: string;
  target: string;
  outcome: DiscoveryTargetOutcome;
  error: string | null;
  certificates: number;
  /** JSON: TLS protocol and cipher of an endpoint, or the blocks a file held. */
  details: string;
  finished_at: string;
}

/** A certificate seen somewhere, once per fingerprint; adoption links it to a device. */
export interface DiscoveredCertificatesTable {
  id: string;
  fingerprint_sha256: string;
  spki_sha256: string;
  subject: string;
  issuer: string;
  serial_hex: string;
  /** JSON array of "dns:x", "ip:x", "uri:x", "email:x". */
  sans: string;
  /** e.g. ec-p256, rsa-1024, ec-secp256k1, ed448, dsa-1024. */
  key_type: string;
  /** e.g. ecdsa-with-SHA256, sha1WithRSAEncryption, or the OID when unnamed. */
  signature_algorithm: string;
  not_before: string;
  not_after: string;
  ca_flag: 'ca' | 'end-entity';
  trust: DiscoveredTrust;
  /** Set when this is a certificate fleetpki issued (same fingerprint in `certificates`). */
  inventory_certificate_id: string | null;
  adopted_device_id: string | null;
  adopted_at: string | null;
  owner: string | null;
  replacement_requested_at: string | null;
  der: Buffer;
  first_seen_at: string;
  last_seen_at: string;
}

/** Where a discovered certificate was seen: an endpoint (host:port) or a file path. */
export interface DiscoverySightingsTable {
  id: string;
  certificate_id: string;
  source: DiscoverySource;
  location: string;
  role: SightingRole;
  last_run_id: string;
  first_seen_at: string;
  last_seen_at: string;
}

/** One fact worth acting on about one discovered certificate (unique per certificate and kind). */
export interface DiscoveryFindingsTable {
  id: string;
  certificate_id: string;
  /** See FINDING_KINDS in src/discovery/kinds.ts. */
  kind: string;
  severity: FindingSeverity;
  status: FindingStatus;
  summary: string;
  /** JSON object: what the finding rests on (other locations, inventory certificate ids...). */
  evidence: string;
  last_run_id: string;
  first_seen_at: string;
  last_seen_at: string;
  /** adopt, assign-owner, replace or dismiss once resolved. */
  resolution: string | null;
  /** JSON object of the resolution's parameters (device id, owner, reason). */
  resolution_details: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

/** People who sign in to the web dashboard (`fleetpki user create`); machines use API tokens. */
export type UserStatus = 'active' | 'disabled';

export interface UsersTable {
  id: string;
  username: string;
  role: Role;
  /** "scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>": the parameters travel with the hash. */
  password_hash: string;
  status: UserStatus;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

/** A dashboard sign-in. The cookie carries a 256-bit random id; only its SHA-256 is stored. */
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  /** Absolute end, however active the session. */
  expires_at: string;
  /** Written at most once a minute; a session idle longer than the configured limit ends. */
  last_seen_at: string;
}

/** Lifecycle jobs (src/lifecycle): one row per job; whoever holds it may run the job until expires_at. */
export interface JobLeasesTable {
  job: string;
  /** Instance id of the last holder (host:pid:random). */
  holder: string;
  acquired_at: string;
  /** While a run is under way: the lease, renewed by heartbeats. Set to the finish time when the run ends. */
  expires_at: string;
  /** No instance starts a scheduled run before this (a manual run may). */
  next_run_at: string;
}

export type JobTrigger = 'schedule' | 'manual';
export type JobOutcome = 'running' | 'success' | 'error' | 'abandoned';

export interface JobRunsTable {
  id: string;
  job: string;
  holder: string;
  trigger: JobTrigger;
  started_at: string;
  ended_at: string | null;
  outcome: JobOutcome;
  /** JSON object of counts (found, alerted, revoked...). */
  counts: string;
  error: string | null;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface AlertsTable {
  id: string;
  kind: string;
  /** What the alert is about: certificate:<id>, device:<id>, job:<name>, ca:<name>. */
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  summary: string;
  /** JSON object. */
  details: string;
  first_seen: string;
  last_seen: string;
  occurrences: number;
  /** The job run that last detected it: a finished scan resolves what it did not see again. */
  seen_by_run: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  /** "<kind> <subject>" while not resolved, null after: its unique index keeps one active alert per kind and subject. */
  active_key: string | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** The webhook outbox: written with the alert it announces, sent and retried from here. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook: string;
  alert_id: string;
  event: string;
  /** The exact JSON body sent (the signature covers it). */
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface Database {
  cas: CasTable;
  profiles: ProfilesTable;
  devices: DevicesTable;
  certificates: CertificatesTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  crls: CrlsTable;
  ocsp_signers: OcspSignersTable;
  ocsp_signer_requests: OcspSignerRequestsTable;
  bootstrap_tokens: BootstrapTokensTable;
  manufacturers: ManufacturersTable;
  firmware_signatures: FirmwareSignaturesTable;
  discovery_runs: DiscoveryRunsTable;
  discovery_run_targets: DiscoveryRunTargetsTable;
  discovered_certificates: DiscoveredCertificatesTable;
  discovery_sightings: DiscoverySightingsTable;
  discovery_findings: DiscoveryFindingsTable;
  users: UsersTable;
  sessions: SessionsTable;
  job_leases: JobLeasesTable;
  job_runs: JobRunsTable;
  alerts: AlertsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
