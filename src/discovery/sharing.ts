// One key or one certificate in several places: the same certificate (fingerprint) at two
// endpoints or files, or the same public key (SPKI SHA-256) under different certificates seen
// at different places or held by another device in the inventory. A device renewing with the
// same key is not sharing: certificates linked to the same device are left out.

import type { FindingDraft } from './kinds.ts';

export interface KeyHolder {
  id: string;
  fingerprint: string;
  subject: string;
  /** The device the certificate belongs to: its inventory record's or the one it was adopted into. */
  deviceId: string | null;
  /** Places it was seen as an endpoint's or file's own certificate. */
  locations: string[];
}

export interface InventoryHolder {
  id: string;
  fingerprint: string;
  deviceId: string | null;
}

/** Everything known to hold one public key. */
export interface KeyGroup {
  discovered: KeyHolder[];
  inventory: InventoryHolder[];
}

const sameDevice = (a: string | null, b: string | null) => a !== null && a === b;

function sharedCertificate(subject: KeyHolder): FindingDraft[] {
  if (subject.locations.length < 2) return [];
  return [{ kind: 'shared-certificate', summary: `the same certificate is presented at ${subject.locations.length} places: ${subject.locations.join(', ')}`, evidence: { locations: subject.locations } }];
}

function sharedKey(subject: KeyHolder, group: KeyGroup): FindingDraft[] {
  const others = group.discovered.filter((c) => c.id !== subject.id && c.locations.length > 0 && !sameDevice(c.deviceId, subject.deviceId));
  const places = new Set([...subject.locations, ...others.flatMap((c) => c.locations)]);
  const seen = new Set(group.discovered.map((c) => c.fingerprint));
  const inventory = group.inventory.filter((c) => !seen.has(c.fingerprint) && !sameDevice(c.deviceId, subject.deviceId));
  const elsewhere = others.length > 0 && places.size >= 2;
  if (!elsewhere && inventory.length === 0) return [];
  const parts = [
    ...(elsewhere ? [`${others.length} other certificate(s) seen at ${[...new Set(others.flatMap((c) => c.locations))].join(', ')}`] : []),
    ...(inventory.length > 0 ? [`${inventory.length} inventory certificate(s) of device(s) ${[...new Set(inventory.map((c) => c.deviceId ?? 'none'))].join(', ')}`] : []),
  ];
  return [
    {
      kind: 'shared-key',
      summary: `the same key is in ${parts.join(' and in ')}`,
      evidence: {
        certificates: elsewhere ? others.map((c) => ({ id: c.id, fingerprint: c.fingerprint, subject: c.subject, locations: c.locations })) : [],
        inventoryCertificates: inventory.map((c) => ({ id: c.id, deviceId: c.deviceId })),
      },
    },
  ];
}

export function sharingFindings(subject: KeyHolder, group: KeyGroup): FindingDraft[] {
  return [...sharedCertificate(subject), ...sharedKey(subject, group)];
}
