// What the API and CLI show of inventory rows: camelCase, JSON parsed, DER as PEM, no secrets.

import type { AuditEventsTable, CertificatesTable, DevicesTable } from '../store/schema.ts';
import { toPem } from '../x509/pem.ts';

export function deviceView(row: DevicesTable) {
  return {
    id: row.id,
    externalSerial: row.external_serial,
    model: row.model,
    deviceClass: row.device_class,
    environment: row.environment,
    site: row.site,
    owner: row.owner,
    criticality: row.criticality,
    status: row.status,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    manufacturer: row.manufacturer,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
export type DeviceView = ReturnType<typeof deviceView>;

/** `issuerName` resolves the issuer id to the CA's name (the CaRegistry caches it). */
export function certificateView(row: CertificatesTable, issuerName: string) {
  return {
    id: row.id,
    issuer: issuerName,
    serial: row.serial_hex,
    subject: row.subject,
    sans: JSON.parse(row.sans) as string[],
    keyType: row.key_type,
    spkiSha256: row.spki_sha256,
    fingerprintSha256: row.fingerprint_sha256,
    notBefore: row.not_before,
    notAfter: row.not_after,
    renewAfter: row.renew_after,
    status: row.status,
    revocationReason: row.revocation_reason,
    revokedAt: row.revoked_at,
    profile: row.profile,
    deviceId: row.device_id,
    replacesId: row.replaces_id,
    createdAt: row.created_at,
    pem: toPem(row.der, 'CERTIFICATE'),
  };
}
export type CertificateView = ReturnType<typeof certificateView>;

export function auditView(row: AuditEventsTable) {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    hash: row.hash,
  };
}
export type AuditView = ReturnType<typeof auditView>;
