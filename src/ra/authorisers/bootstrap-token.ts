// A one-time bootstrap token: an operator bound it to one device and one profile, with an
// expiry. Checked here for a clear early answer; the RA marks it used atomically in the
// transaction that records the certificate (src/app/enrollment.ts), so a token that two
// requests race for yields one certificate.

import { Forbidden, Unauthorized } from '../../errors.ts';
import { granted, refused, type EnrollmentAuthoriser, type EnrollmentLookups } from './authoriser.ts';
import { csrNamesDevice } from './identity.ts';

export function bootstrapTokenAuthoriser(lookups: EnrollmentLookups): EnrollmentAuthoriser {
  return {
    name: 'bootstrap-token',
    async authorise({ credentials, label, now }) {
      const token = credentials.secret ? await lookups.bootstrapToken(credentials.secret) : undefined;
      if (!token) return refused('est:token:unknown', new Unauthorized('unknown bootstrap token'));
      const actor = `est:token:${token.id}`;
      if (token.used_at) return refused(actor, new Unauthorized(`this bootstrap token was already used (${token.used_at}); ask for a new one`));
      if (token.expires_at <= now.toISOString()) return refused(actor, new Unauthorized(`this bootstrap token expired ${token.expires_at}; ask for a new one`));
      if (label && label !== token.profile) {
        return refused(actor, new Forbidden(`this bootstrap token is for profile ${token.profile}, not ${label}; use /.well-known/est/${token.profile}/ or no label`));
      }
      return granted(actor, { deviceId: token.device_id, profile: token.profile, replaces: null, validators: [csrNamesDevice], consumesToken: token.id });
    },
  };
}
