// What fleetpki's own records say about a discovered certificate: issued and recorded by
// fleetpki, adopted into the inventory, claiming a fleetpki CA without being in its ledger,
// or unknown. The ledger is looked up by issuer and serial (its unique key); a row with that
// serial but another fingerprint is a forgery or a mis-issuance, and is not "issued".

import type { Kysely } from 'kysely';
import { getCertificateBySerial } from '../store/repos/certificates.ts';
import type { DiscoveredRow } from '../store/repos/discovered-certificates.ts';
import type { Database } from '../store/schema.ts';
import type { FoundCertificate } from './inspect.ts';
import type { InventoryStatus } from './rules.ts';
import type { TrustResult } from './trust.ts';

export interface InventoryLink {
  status: InventoryStatus;
  /** The device the certificate belongs to, by issuance or adoption. */
  deviceId: string | null;
}

export async function inventoryLink(db: Kysely<Database>, cert: FoundCertificate, trust: TrustResult, row: DiscoveredRow | undefined): Promise<InventoryLink> {
  if (trust.claimedCa) {
    const ledger = await getCertificateBySerial(db, trust.claimedCa.id, cert.serialHex);
    if (ledger && ledger.fingerprint_sha256 === cert.fingerprintSha256) return { status: { kind: 'issued', certificateId: ledger.id }, deviceId: ledger.device_id };
    return { status: { kind: 'unrecorded', ledgerCertificateId: ledger?.id ?? null }, deviceId: null };
  }
  if (row?.adopted_device_id) return { status: { kind: 'adopted', deviceId: row.adopted_device_id }, deviceId: row.adopted_device_id };
  return { status: { kind: 'unknown' }, deviceId: null };
}
