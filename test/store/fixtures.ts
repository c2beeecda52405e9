// Rows for store tests: complete, valid by default, one field overridden per test.
import { randomBytes } from 'node:crypto';
import { newId } from '../../src/ids.ts';
import type { NewCa } from '../../src/store/repos/cas.ts';
import type { NewCertificate } from '../../src/store/repos/certificates.ts';
import type { NewDevice } from '../../src/store/repos/devices.ts';

/** Every byte value, zero and 0xff included, so no engine can get away with text decoding. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export const NOW = '2025-06-01T12:00:00.000Z';

export function caRow(overrides: Partial<NewCa> = {}): NewCa {
  return {
    id: newId(),
    name: `ca-${randomBytes(4).toString('hex')}`,
    parent_id: null,
    kind: 'root',
    status: 'active',
    key_type: 'ec-p256',
    subject: 'CN=Test Root',
    serial_hex: randomBytes(8).toString('hex'),
    ski_hex: randomBytes(20).toString('hex'),
    not_before: '2025-01-01T00:00:00.000Z',
    not_after: '2035-01-01T00:00:00.000Z',
    certificate_der: randomBytes(300),
    key_ref: null,
    encrypted_key: null,
    created_at: NOW,
    ...overrides,
  };
}

export function deviceRow(overrides: Partial<NewDevice> = {}): NewDevice {
  return {
    id: newId(),
    external_serial: `SN-${randomBytes(6).toString('hex').toUpperCase()}`,
    model: 'Gateway X1',
    device_class: 'gateway',
    environment: 'prod',
    site: 'plant-1',
    owner: 'ops@example.com',
    criticality: 'medium',
    status: 'registered',
    metadata: JSON.stringify({ rack: 4, tags: ['a', 'b'] }),
    manufacturer: null,
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

export function certificateRow(issuerId: string, overrides: Partial<NewCertificate> = {}): NewCertificate {
  return {
    id: newId(),
    issuer_id: issuerId,
    serial_hex: randomBytes(16).toString('hex'),
    subject: 'CN=device-1',
    sans: JSON.stringify(['dns:device-1.fleet.example', 'ip:10.0.0.1']),
    key_type: 'ec-p256',
    spki_sha256: randomBytes(32).toString('hex'),
    fingerprint_sha256: randomBytes(32).toString('hex'),
    not_before: '2025-06-01T00:00:00.000Z',
    not_after: '2026-06-01T00:00:00.000Z',
    renew_after: '2026-04-01T00:00:00.000Z',
    status: 'valid',
    revocation_reason: null,
    revoked_at: null,
    profile: 'device-tls',
    device_id: null,
    replaces_id: null,
    der: randomBytes(500),
    created_at: NOW,
    ...overrides,
  };
}
