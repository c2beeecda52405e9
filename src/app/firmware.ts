// Firmware signing as fleetpki records it: the signer's certificate must be one this fleetpki
// issued and still valid, and the signing (who, which image hash, which certificate) is in the
// store and the audit log before the signatures are handed back. The signer's private key is
// the signer's own: it is passed in for the one signing and never stored.

import type { KeyObject } from 'node:crypto';
import { NotFound, PolicyDenied } from '../errors.ts';
import { signFirmware, type SignedFirmware } from '../firmware/sign.ts';
import { newId } from '../ids.ts';
import { listCas } from '../store/repos/cas.ts';
import { getCertificate, getCertificateBySerial, type CertificateRow } from '../store/repos/certificates.ts';
import { getDevice } from '../store/repos/devices.ts';
import { insertFirmwareSignature, searchFirmwareSignatures, type FirmwareSignatureFilter, type FirmwareSignatureRow } from '../store/repos/firmware-signatures.ts';
import type { Page, PageResult } from '../store/repos/page.ts';
import type { CasTable, FirmwareSignaturesTable } from '../store/schema.ts';
import { isSignedBy, parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

export interface FirmwareSignRequest {
  image: string;
  imageName: string;
  version: string;
  minVersion?: string;
  deviceClasses: string[];
  models: string[];
  buildTime: Date;
  privateKey: KeyObject;
  /** The signer's certificate, PEM (the first block) or DER. */
  certificate: string | Uint8Array;
}

export interface RecordedSigning {
  signed: SignedFirmware;
  record: FirmwareSignaturesTable;
}

async function issuingCa(ctx: Context, cert: CertificateInfo): Promise<CasTable> {
  for (const ca of await listCas(ctx.db)) {
    if (parseCertificate(ca.certificate_der).subjectDer.equals(cert.issuerDer) && isSignedBy(cert.der, ca.certificate_der)) return ca;
  }
  throw new PolicyDenied(`the signer certificate ${cert.subject} was not issued by a CA of this fleetpki`);
}

/**
 * Firmware signers come from the code-signing CA (`firmware.signingCas`), the one devices
 * trust for updates. A certificate from a device or TLS CA, even one a profile gave the
 * codeSigning usage, would sign images no device accepts, or teach operators to add a device
 * CA to the firmware trust bundle.
 */
function assertSigningCa(ctx: Context, ca: CasTable, cert: CertificateInfo): void {
  const allowed = ctx.config.firmware.signingCas;
  if (allowed.includes(ca.name)) return;
  throw new PolicyDenied(`the signer certificate ${cert.subject} was issued by CA ${ca.name}, which may not sign firmware (firmware.signingCas: ${allowed.join(', ')}); get the signer's certificate from the code-signing profile`);
}

/** The inventory's view of the signer: issued here, valid, held by a release signer in good standing. */
async function signerRecord(ctx: Context, cert: CertificateInfo, ca: CasTable): Promise<CertificateRow> {
  const row = await getCertificateBySerial(ctx.db, ca.id, cert.serialHex);
  if (!row || !row.der.equals(cert.der)) throw new NotFound(`the signer certificate ${cert.subject} (serial ${cert.serialHex}) is not in the inventory`);
  if (row.status !== 'valid') throw new PolicyDenied(`the signer certificate ${row.id} is ${row.status === 'on_hold' ? 'on hold' : 'revoked'}; it may not sign`);
  const device = row.device_id ? await getDevice(ctx.db, row.device_id) : undefined;
  if (device && device.status !== 'active' && device.status !== 'registered') {
    throw new PolicyDenied(`release signer ${device.id} is ${device.status}; its certificate may not sign`);
  }
  return row;
}

export async function signAndRecordFirmware(ctx: Context, request: FirmwareSignRequest, actor: string): Promise<RecordedSigning> {
  return audited(ctx, actor, 'firmware.sign', `firmware-image:${request.imageName}`, async () => {
    const cert = parseCertificate(request.certificate);
    const ca = await issuingCa(ctx, cert);
    assertSigningCa(ctx, ca, cert);
    const row = await signerRecord(ctx, cert, ca);
    const signed = await signFirmware({ ...request, signer: cert, chain: [ca.certificate_der] });
    const record: FirmwareSignaturesTable = {
      id: newId(),
      image_sha256: signed.imageSha256,
      image_size: signed.size,
      version: signed.manifest.version,
      certificate_id: row.id,
      actor,
      manifest: signed.manifestBytes.toString('utf8'),
      signing_time: signed.signingTime.toISOString(),
      created_at: new Date().toISOString(),
    };
    const details = { imageSha256: record.image_sha256, size: record.image_size, version: record.version, certificateId: row.id, signer: cert.subject, serial: cert.serialHex, targets: signed.manifest.targets };
    await ctx.ledger.submit(async (trx) => {
      // A revocation committed while the image was hashed wins: nothing signed by it leaves.
      const current = await getCertificate(trx, row.id);
      if (current?.status !== 'valid') throw new PolicyDenied(`the signer certificate ${row.id} was revoked while signing; nothing was recorded or written`);
      await insertFirmwareSignature(trx, record);
    }, [{ actor, action: 'firmware.sign', target: `firmware:${record.image_sha256}`, outcome: 'success', details }]);
    return { signed, record };
  });
}

export function listFirmwareSignatures(ctx: Context, filter: FirmwareSignatureFilter, page: Page): Promise<PageResult<FirmwareSignatureRow>> {
  return searchFirmwareSignatures(ctx.db, filter, page);
}
