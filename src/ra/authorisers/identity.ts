// Validators that hold a CSR to the identity an authoriser proved. The certificate's names
// come from the profile, so these do not decide what is issued; they refuse a request that
// claims to be someone else, which is a mistake or an attack either way.

import { PolicyDenied } from '../../errors.ts';
import type { CertificateInfo } from '../../x509/certificate.ts';
import { nameToAttributes } from '../../x509/name.ts';
import { formatSan } from '../../x509/san.ts';
import type { Validator } from '../validators.ts';

/** First enrolment: a CN or serialNumber in the CSR must be the device's id or serial number. */
export const csrNamesDevice: Validator = ({ csr, device }) => {
  const names = new Set([device.id, device.external_serial]);
  for (const [attribute, value] of nameToAttributes(csr.subjectDer)) {
    if ((attribute === 'CN' || attribute === 'serialNumber') && !names.has(value)) {
      throw new PolicyDenied(`the CSR subject names ${attribute}=${value}, but this credential is for device ${device.id} (serial ${device.external_serial})`);
    }
  }
};

const render = (attributes: Array<[string, string]>) => attributes.map(([a, v]) => `${a}=${v}`).join(', ') || '(empty)';

/** Renewal (RFC 7030 4.2.2): the CSR keeps the current certificate's subject and asks for none of its names to change. */
export function csrKeepsIdentity(current: CertificateInfo): Validator {
  const subject = nameToAttributes(current.subjectDer);
  const sans = new Set(current.sans.map(formatSan));
  return ({ csr }) => {
    const requested = nameToAttributes(csr.subjectDer);
    if (JSON.stringify(requested) !== JSON.stringify(subject)) {
      throw new PolicyDenied(`the CSR subject "${render(requested)}" differs from the current certificate's "${render(subject)}"; a renewal keeps its subject`);
    }
    const added = csr.requestedSans.map(formatSan).find((san) => !sans.has(san));
    if (added) throw new PolicyDenied(`the CSR asks for ${added}, which the current certificate does not have; a renewal keeps its names`);
  };
}
