// Renewal with the current certificate as TLS client certificate (RFC 7030 simplereenroll):
// it must be fleetpki's own, recorded, unexpired and neither revoked nor on hold. The new
// certificate keeps the device, the profile and the subject, and supersedes the old one.

import { Forbidden } from '../../errors.ts';
import { isSignedBy } from '../../x509/certificate.ts';
import { granted, refused, type EnrollmentAuthoriser, type EnrollmentLookups } from './authoriser.ts';
import { csrKeepsIdentity } from './identity.ts';

export function currentCertificateAuthoriser(lookups: EnrollmentLookups): EnrollmentAuthoriser {
  return {
    name: 'current-certificate',
    async authorise({ credentials, label, now }) {
      const [leaf] = credentials.clientChain;
      const actor = `est:cert:${leaf.serialHex}`;
      const issuers = await lookups.fleetIssuers();
      const issuer = issuers.find((i) => i.cert.subjectDer.equals(leaf.issuerDer) && isSignedBy(leaf.der, i.cert.der));
      if (!issuer) return refused(actor, new Forbidden(`the TLS client certificate "${leaf.subject}" was not issued by this fleetpki; renew with the certificate fleetpki issued`));
      const row = await lookups.certificate(issuer.id, leaf.serialHex);
      if (!row || row.fingerprint_sha256 !== leaf.fingerprintSha256) return refused(actor, new Forbidden(`certificate ${leaf.serialHex} of ${issuer.name} is not in the inventory`));
      if (row.status !== 'valid') return refused(actor, new Forbidden(`certificate ${leaf.serialHex} is ${row.status === 'on_hold' ? 'on hold' : 'revoked'} (${row.revocation_reason}); it cannot renew itself`));
      if (now > leaf.notAfter) return refused(actor, new Forbidden(`certificate ${leaf.serialHex} expired ${leaf.notAfter.toISOString()}; an expired certificate cannot renew itself, enrol again`));
      if (now < leaf.notBefore) return refused(actor, new Forbidden(`certificate ${leaf.serialHex} is not valid before ${leaf.notBefore.toISOString()}`));
      if (!row.device_id) return refused(actor, new Forbidden(`certificate ${leaf.serialHex} belongs to no device`));
      if (label && label !== row.profile) {
        return refused(actor, new Forbidden(`certificate ${leaf.serialHex} was issued under profile ${row.profile}; renew it under that label or none, not ${label}`));
      }
      return granted(actor, { deviceId: row.device_id, profile: row.profile, replaces: row.id, validators: [csrKeepsIdentity(leaf)], consumesToken: null });
    },
  };
}
