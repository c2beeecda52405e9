// Which authoriser answers a request, from the operation and the credentials presented.
// simplereenroll is renewal and takes only the current certificate; a first enrolment takes
// a bootstrap token if one is sent (it is the more specific credential), else an IDevID.

import { Forbidden, Unauthorized } from '../../errors.ts';
import { refused, type Decision, type EnrollmentAuthoriser, type EnrollmentLookups, type EnrollmentRequest } from './authoriser.ts';
import { bootstrapTokenAuthoriser } from './bootstrap-token.ts';
import { currentCertificateAuthoriser } from './current-certificate.ts';
import { idevidAuthoriser } from './idevid.ts';

export function enrollmentAuthoriser(lookups: EnrollmentLookups): EnrollmentAuthoriser {
  const token = bootstrapTokenAuthoriser(lookups);
  const idevid = idevidAuthoriser(lookups);
  const current = currentCertificateAuthoriser(lookups);
  return {
    name: 'est',
    authorise(request: EnrollmentRequest): Promise<Decision> {
      const { secret, clientChain, malformed } = request.credentials;
      if (malformed) return Promise.resolve(refused('est:anonymous', malformed));
      if (request.operation === 'simplereenroll') {
        if (clientChain.length > 0) return current.authorise(request);
        return Promise.resolve(refused('est:anonymous', new Forbidden('simplereenroll needs the current certificate as TLS client certificate')));
      }
      if (secret) return token.authorise(request);
      if (clientChain.length > 0) return idevid.authorise(request);
      return Promise.resolve(
        refused('est:anonymous', new Unauthorized('no credential: send a bootstrap token (HTTP Basic password or Authorization: Bearer) or a manufacturer birth certificate (IDevID) as TLS client certificate')),
      );
    },
  };
}

export type { Credentials, Decision, EnrollmentAuthoriser, EnrollmentLookups, EnrollmentOperation, EnrollmentRequest, Grant } from './authoriser.ts';
