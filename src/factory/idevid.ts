// `fleetpki manufacturer issue-idevid`: an IEEE 802.1AR birth certificate (IDevID) from a
// manufacturer CA fleetpki holds. Its subject carries the device serial as serialNumber (what
// EST's IDevID enrolment matches the device by), it never expires (99991231235959Z), and it
// only proves the device's identity: digitalSignature, clientAuth, not a CA. Like every
// certificate it is linted before signing and recorded, with its device, before it is
// returned; the device's own state does not change (a birth certificate is not enrolment).

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import type { Issuer } from '../ca/issuer.ts';
import { assertLintClean } from '../ca/lint.ts';
import { newSerial } from '../ca/serial.ts';
import { buildTbs, signTbs } from '../ca/sign.ts';
import { BadRequest, Conflict, NotFound, PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import { insertCertificate } from '../store/repos/certificates.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import type { CertificatesTable } from '../store/schema.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { parseCsr, type ParsedCsr } from '../x509/csr.ts';
import { authorityKeyIdentifier, basicConstraints, extKeyUsage, keyIdentifier, keyUsage, subjectKeyIdentifier } from '../x509/extensions.ts';
import { attributesToString, encodeName, nameAttribute, type NameAttributes } from '../x509/name.ts';
import { NO_WELL_DEFINED_EXPIRY } from './manufacturer-ca.ts';

export interface IdevidInput {
  /** The manufacturer CA (its name in `fleetpki ca list`). */
  ca: string;
  serial: string;
  csr: string | Uint8Array;
}

/** Recorded with this in place of a profile: no profile can have this name (profiles have no colon). */
export const idevidProfile = (ca: string) => `idevid:${ca}`;

async function manufacturerIssuer(ctx: Context, name: string): Promise<Issuer> {
  const issuer = await ctx.cas.byName(name);
  const anchor = await ctx.db.selectFrom('manufacturers').select('name').where('certificate_der', '=', issuer.row.certificate_der).executeTakeFirst();
  if (!anchor) throw new BadRequest(`CA ${name} is not a manufacturer CA (make one with fleetpki manufacturer create-ca)`);
  if (!issuer.hasKey) throw new NotFound(`manufacturer CA ${name} has no private key here`);
  return issuer;
}

function checkKey(csr: ParsedCsr): void {
  if (csr.key.family === 'rsa' && csr.key.bits < 2048) throw new PolicyDenied(`an RSA key of ${csr.key.bits} bits is too weak for a device identity`);
}

function subjectFor(issuer: Issuer, serial: string): NameAttributes {
  const maker = nameAttribute(issuer.cert.subjectDer, 'O');
  return [...(maker ? [['O', maker] as [string, string]] : []), ['CN', serial], ['serialNumber', serial]];
}

const USAGE = { keyUsage: ['digitalSignature'] as const, extKeyUsage: ['clientAuth'] };

async function sign(ctx: Context, issuer: Issuer, csr: ParsedCsr, subject: NameAttributes, now: Date): Promise<{ der: Buffer; serialHex: string; notBefore: Date }> {
  const signer = issuer.signer(ctx.passphrase);
  const serial = newSerial();
  const notBefore = new Date(Math.max(Math.floor(now.getTime() / 1000) * 1000 - 60_000, issuer.cert.notBefore.getTime()));
  const tbs = buildTbs(signer, {
    serial: serial.der,
    issuer: issuer.cert.subjectDer,
    notBefore,
    notAfter: NO_WELL_DEFINED_EXPIRY,
    subject: encodeName(subject),
    spki: csr.spkiDer,
    extensions: [basicConstraints(false), keyUsage(USAGE.keyUsage), extKeyUsage(USAGE.extKeyUsage), subjectKeyIdentifier(keyIdentifier(csr.spkiDer)), authorityKeyIdentifier(issuer.keyId)],
  });
  assertLintClean(tbs, {
    issuerSubjectDer: issuer.cert.subjectDer,
    issuerKeyId: issuer.keyId,
    issuerNotBefore: issuer.cert.notBefore,
    issuerNotAfter: issuer.cert.notAfter,
    signatureOid: signer.scheme.oid,
    isCa: false,
    key: csr.key,
    keyUsage: [...USAGE.keyUsage],
    extKeyUsage: USAGE.extKeyUsage,
    subject,
    sans: [],
    spkiDer: csr.spkiDer,
    // The birth certificate built above carries no CRL or AIA extension.
    urls: null,
  });
  return { der: await signTbs(signer, tbs), serialHex: serial.hex, notBefore };
}

export async function issueIdevid(ctx: Context, input: IdevidInput, actor: string, now = new Date()): Promise<CertificatesTable> {
  return audited(ctx, actor, 'idevid.issue', `device-serial:${input.serial}`, async () => {
    const issuer = await manufacturerIssuer(ctx, input.ca);
    const csr = await parseCsr(input.csr);
    checkKey(csr);
    const device = await getDeviceBySerial(ctx.db, input.serial);
    if (!device) throw new NotFound(`no device with serial ${input.serial}: register it first (fleetpki device create or import)`);
    if (device.status === 'decommissioned') throw new PolicyDenied(`device ${device.id} is decommissioned`);
    const subject = subjectFor(issuer, input.serial);
    const signed = await sign(ctx, issuer, csr, subject, now);
    const row: CertificatesTable = {
      id: newId(),
      issuer_id: issuer.row.id,
      serial_hex: signed.serialHex,
      subject: attributesToString(subject),
      sans: '[]',
      key_type: csr.key.name,
      spki_sha256: sha256Hex(csr.spkiDer),
      fingerprint_sha256: sha256Hex(signed.der),
      not_before: signed.notBefore.toISOString(),
      not_after: NO_WELL_DEFINED_EXPIRY.toISOString(),
      // A birth certificate is never due for renewal.
      renew_after: NO_WELL_DEFINED_EXPIRY.toISOString(),
      status: 'valid',
      revocation_reason: null,
      revoked_at: null,
      profile: idevidProfile(issuer.row.name),
      device_id: device.id,
      replaces_id: null,
      der: signed.der,
      created_at: new Date().toISOString(),
    };
    await ctx.ledger.submit(async (trx) => {
      // Decided where the row is written: two concurrent requests must not both give the device a birth certificate.
      const existing = await trx.selectFrom('certificates').select('id').where('device_id', '=', device.id).where('profile', '=', row.profile).where('status', '!=', 'revoked').executeTakeFirst();
      if (existing) throw new Conflict(`device ${input.serial} already has an IDevID from ${issuer.row.name} (certificate ${existing.id}); revoke it before issuing another`);
      await insertCertificate(trx, row);
    }, [{ actor, action: 'idevid.issue', target: `certificate:${row.id}`, outcome: 'success', details: { serial: row.serial_hex, issuer: issuer.row.name, device: device.id, deviceSerial: input.serial } }]);
    return row;
  });
}
