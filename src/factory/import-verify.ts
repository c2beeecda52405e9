// Judging one certificate of an imported bundle before anything is written: it must be an
// end-entity certificate signed by a CA this instance knows (by name and signature, not by
// what the bundle says), still valid, not already recorded, for a registered device that may
// hold one, under a profile known here. The result is the ledger row, the same shape as
// issuance writes (src/ca/issue.ts), or the row already recorded for this certificate.

import type { Context } from '../app/context.ts';
import { getProfile } from '../app/profiles.ts';
import { BadRequest, Conflict, NotFound, PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import { getCertificateBySerial } from '../store/repos/certificates.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import { listCas } from '../store/repos/cas.ts';
import type { CasTable, CertificatesTable, DevicesTable } from '../store/schema.ts';
import { isSignedBy, parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { nameAttribute } from '../x509/name.ts';
import { formatSan } from '../x509/san.ts';
import type { BundleEntry } from './bundle-read.ts';

export interface KnownCa {
  row: CasTable;
  subjectDer: Buffer;
}

/** Every CA of this instance, read once per import. */
export async function knownCas(ctx: Context): Promise<KnownCa[]> {
  return (await listCas(ctx.db)).map((row) => ({ row, subjectDer: parseCertificate(row.certificate_der).subjectDer }));
}

export type Verdict = { kind: 'new'; row: CertificatesTable; ca: CasTable; device: DevicesTable } | { kind: 'recorded'; row: CertificatesTable; ca: CasTable };

function issuingCa(cert: CertificateInfo, cas: KnownCa[]): CasTable {
  const named = cas.filter((ca) => ca.subjectDer.equals(cert.issuerDer));
  if (named.length === 0) throw new NotFound(`issued by "${cert.issuer}", which is no CA this instance knows: import the issuing CA's certificate first (fleetpki ca import-issuing)`);
  const signer = named.find((ca) => isSignedBy(cert.der, ca.row.certificate_der));
  if (!signer) throw new BadRequest(`its signature does not verify with the key of CA ${named.map((ca) => ca.row.name).join(' or ')}, the CA it names as issuer`);
  return signer.row;
}

async function deviceFor(ctx: Context, entry: BundleEntry, cert: CertificateInfo): Promise<DevicesTable> {
  // The manifest is not signed; where the certificate itself names the device, the two must agree.
  const named = nameAttribute(cert.subjectDer, 'serialNumber');
  if (named !== undefined && named !== entry.serial) throw new BadRequest(`the manifest says device ${entry.serial}, but the certificate's subject serialNumber is ${named}`);
  const device = await getDeviceBySerial(ctx.db, entry.serial);
  if (!device) throw new NotFound(`no device with serial ${entry.serial} here: register it first (fleetpki device import)`);
  if (device.status === 'suspended' || device.status === 'decommissioned') throw new PolicyDenied(`device ${entry.serial} is ${device.status} here: a certificate for it is not recorded as valid`);
  return device;
}

export async function verifyEntry(ctx: Context, entry: BundleEntry, der: Buffer, cas: KnownCa[], defaultProfile: string | undefined, now: Date): Promise<Verdict> {
  const cert = parseCertificate(der);
  if (entry.certificateSerial && entry.certificateSerial.toLowerCase() !== cert.serialHex) throw new BadRequest(`the manifest says certificate serial ${entry.certificateSerial}, but ${entry.file} holds serial ${cert.serialHex}`);
  if (cert.isCa) throw new BadRequest('it is a CA certificate, not a device certificate');
  const ca = issuingCa(cert, cas);
  const recorded = await getCertificateBySerial(ctx.db, ca.id, cert.serialHex);
  if (recorded) {
    if (recorded.fingerprint_sha256 !== cert.fingerprintSha256) throw new Conflict(`CA ${ca.name} serial ${cert.serialHex} is already recorded here as another certificate (${recorded.id}): a serial used twice by one CA`);
    const device = await getDeviceBySerial(ctx.db, entry.serial);
    if (recorded.device_id !== (device?.id ?? null)) throw new Conflict(`this certificate is already recorded (${recorded.id}) for another device than ${entry.serial}, which the manifest names`);
    return { kind: 'recorded', row: recorded, ca };
  }
  if (ca.encrypted_key !== null) throw new PolicyDenied(`CA ${ca.name} holds its key on this instance, which records everything it signs when it signs it: a certificate of it missing from the inventory was not issued here and is not imported`);
  if (cert.notAfter <= now) throw new BadRequest(`it expired on ${cert.notAfter.toISOString()}`);
  const profileName = entry.profile ?? defaultProfile;
  if (!profileName) throw new BadRequest('the manifest names no profile for it: give --profile');
  const profile = await getProfile(ctx, profileName).catch((error) => {
    throw error instanceof NotFound ? new BadRequest(`profile ${profileName} is not known here: create it (fleetpki profile set) so the certificate's renewal can be scheduled`) : error;
  });
  const device = await deviceFor(ctx, entry, cert);
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  const row: CertificatesTable = {
    id: newId(),
    issuer_id: ca.id,
    serial_hex: cert.serialHex,
    subject: cert.subject,
    sans: JSON.stringify(cert.sans.map(formatSan)),
    key_type: cert.key.name,
    spki_sha256: cert.spkiSha256,
    fingerprint_sha256: cert.fingerprintSha256,
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
    // The profile's renewal point, as issuance sets it (src/ra/approve.ts).
    renew_after: new Date(cert.notBefore.getTime() + Math.round(lifetime * profile.renewAfter)).toISOString(),
    status: 'valid',
    revocation_reason: null,
    revoked_at: null,
    profile: profile.name,
    device_id: device.id,
    replaces_id: null,
    der: cert.der,
    created_at: now.toISOString(),
  };
  return { kind: 'new', row, ca, device };
}
