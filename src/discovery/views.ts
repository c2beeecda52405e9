// What the API and CLI show of discovery's rows: camelCase, JSON parsed, each finding with the
// certificate it is about and every place that certificate was seen.

import type { Kysely } from 'kysely';
import { getDiscoveredByIds, sightingsOf, type DiscoveredRow, type SightingRow } from '../store/repos/discovered-certificates.ts';
import type { FindingRow } from '../store/repos/discovery-findings.ts';
import type { DiscoveryRunRow, RunTargetRow } from '../store/repos/discovery-runs.ts';
import type { Database } from '../store/schema.ts';
import { toPem } from '../x509/pem.ts';
import { chunks } from './chunks.ts';
import type { FindingKind } from './kinds.ts';

export function runView(row: DiscoveryRunRow, targets?: RunTargetRow[]) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    actor: row.actor,
    options: JSON.parse(row.options) as Record<string, unknown>,
    targetsTotal: Number(row.targets_total),
    targetsDone: Number(row.targets_done),
    targetsFailed: Number(row.targets_failed),
    certificatesSeen: Number(row.certificates_seen),
    findingsOpened: Number(row.findings_opened),
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    ...(targets ? { targets: targets.map(targetView) } : {}),
  };
}
export type RunView = ReturnType<typeof runView>;

function targetView(row: RunTargetRow) {
  return {
    target: row.target,
    outcome: row.outcome,
    error: row.error,
    certificates: Number(row.certificates),
    details: JSON.parse(row.details) as Record<string, unknown>,
    finishedAt: row.finished_at,
  };
}

function sightingView(row: SightingRow) {
  return { source: row.source, location: row.location, role: row.role, firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at, lastRunId: row.last_run_id };
}

export function discoveredView(row: DiscoveredRow, sightings: SightingRow[]) {
  return {
    id: row.id,
    fingerprintSha256: row.fingerprint_sha256,
    spkiSha256: row.spki_sha256,
    subject: row.subject,
    issuer: row.issuer,
    serial: row.serial_hex,
    sans: JSON.parse(row.sans) as string[],
    keyType: row.key_type,
    signatureAlgorithm: row.signature_algorithm,
    notBefore: row.not_before,
    notAfter: row.not_after,
    isCa: row.ca_flag === 'ca',
    trust: row.trust,
    inventoryCertificateId: row.inventory_certificate_id,
    adoptedDeviceId: row.adopted_device_id,
    adoptedAt: row.adopted_at,
    owner: row.owner,
    replacementRequestedAt: row.replacement_requested_at,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    seenAt: sightings.map(sightingView),
    pem: toPem(row.der, 'CERTIFICATE'),
  };
}
export type DiscoveredView = ReturnType<typeof discoveredView>;

export function findingView(row: FindingRow, certificate: DiscoveredView) {
  return {
    id: row.id,
    kind: row.kind as FindingKind,
    severity: row.severity,
    status: row.status,
    summary: row.summary,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    lastRunId: row.last_run_id,
    resolution: row.resolution,
    resolutionDetails: row.resolution_details ? (JSON.parse(row.resolution_details) as Record<string, unknown>) : null,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    certificate,
  };
}
export type FindingView = ReturnType<typeof findingView>;

/** Views of a page of certificates, with their sightings read in one query per chunk. */
export async function presentDiscovered(db: Kysely<Database>, rows: DiscoveredRow[]): Promise<DiscoveredView[]> {
  const byCert = new Map<string, SightingRow[]>();
  for (const ids of chunks(rows.map((r) => r.id))) {
    for (const s of await sightingsOf(db, ids)) byCert.set(s.certificate_id, [...(byCert.get(s.certificate_id) ?? []), s]);
  }
  return rows.map((row) => discoveredView(row, byCert.get(row.id) ?? []));
}

export async function presentFindings(db: Kysely<Database>, rows: FindingRow[]): Promise<FindingView[]> {
  const ids = [...new Set(rows.map((r) => r.certificate_id))];
  const certs: DiscoveredRow[] = [];
  for (const part of chunks(ids)) certs.push(...(await getDiscoveredByIds(db, part)));
  const views = new Map((await presentDiscovered(db, certs)).map((v) => [v.id, v]));
  return rows.map((row) => findingView(row, views.get(row.certificate_id)!));
}
