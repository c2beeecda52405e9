// The inventory as the enrollment authorisers read it (src/ra/authorisers/authoriser.ts).
// Parsed certificates are cached by row id: anchors and CAs change rarely, requests often.

import type { EnrollmentLookups } from '../ra/authorisers/authoriser.ts';
import { getBootstrapTokenByHash } from '../store/repos/bootstrap-tokens.ts';
import { listCas } from '../store/repos/cas.ts';
import { getCertificateBySerial } from '../store/repos/certificates.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import { listManufacturers } from '../store/repos/manufacturers.ts';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import type { Context } from './context.ts';
import { hashToken } from './tokens.ts';

export function contextLookups(ctx: Context): EnrollmentLookups {
  const parsed = new Map<string, CertificateInfo>();
  const parseOnce = (id: string, der: Buffer) => {
    let cert = parsed.get(id);
    if (!cert) parsed.set(id, (cert = parseCertificate(der)));
    return cert;
  };
  return {
    bootstrapToken: (secret) => getBootstrapTokenByHash(ctx.db, hashToken(secret)),
    manufacturers: async () => (await listManufacturers(ctx.db)).map((m) => ({ name: m.name, cert: parseOnce(m.id, m.certificate_der) })),
    deviceBySerial: (serial) => getDeviceBySerial(ctx.db, serial),
    fleetIssuers: async () =>
      (await listCas(ctx.db)).filter((ca) => ca.kind === 'issuing').map((ca) => ({ id: ca.id, name: ca.name, cert: parseOnce(ca.id, ca.certificate_der) })),
    fleetCas: async () => (await listCas(ctx.db)).map((ca) => ({ id: ca.id, name: ca.name, cert: parseOnce(ca.id, ca.certificate_der) })),
    certificate: (issuerId, serialHex) => getCertificateBySerial(ctx.db, issuerId, serialHex),
    currentCertificate: (deviceId, profile, now) =>
      ctx.db
        .selectFrom('certificates')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('profile', '=', profile)
        .where('status', '=', 'valid')
        .where('not_after', '>', now.toISOString())
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst(),
    defaultProfile: ctx.config.est.defaultProfile ?? null,
  };
}
