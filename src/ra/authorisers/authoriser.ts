// Enrollment authorisation: who may get a certificate, for which device, under which
// profile. One interface, one short file per way of proving the right (as step-ca's
// provisioners): a one-time bootstrap token, a manufacturer birth certificate (IDevID), the
// current certificate. Each returns a decision (granted or refused, always naming the
// actor for the audit log) and validators the issuing path applies with the profile's own.

import type { FleetPkiError } from '../../errors.ts';
import type { BootstrapTokensTable, CertificatesTable, DevicesTable } from '../../store/schema.ts';
import type { CertificateInfo } from '../../x509/certificate.ts';
import type { Validator } from '../validators.ts';

export type EnrollmentOperation = 'simpleenroll' | 'simplereenroll' | 'serverkeygen';

export interface Credentials {
  /** A bootstrap secret: the bearer token or the HTTP Basic password. */
  secret: string | null;
  /** The TLS client certificate chain as presented, leaf first, not verified by TLS. */
  clientChain: CertificateInfo[];
  /**
   * A credential that was sent but cannot be read (an Authorization header of another
   * scheme, an empty Basic password, an undecodable client certificate): the front end says
   * what is wrong, the RA refuses it, so the refusal is audited like any other.
   */
  malformed?: FleetPkiError | null;
}

export interface EnrollmentRequest {
  operation: EnrollmentOperation;
  /** The profile the URL names (an EST label), if any. */
  label: string | null;
  credentials: Credentials;
  now: Date;
  /** The client's address, for the audit of refusals nobody can be named for. */
  from?: string;
}

export interface Grant {
  deviceId: string;
  profile: string;
  /** The certificate the new one supersedes (renewal). */
  replaces: string | null;
  /** Checks of the CSR against the proven identity, run after the profile's validators. */
  validators: Validator[];
  /** A bootstrap token to mark used in the transaction that records the certificate. */
  consumesToken: string | null;
}

export type Decision = { actor: string } & ({ grant: Grant; refusal?: undefined } | { refusal: FleetPkiError; grant?: undefined });

export interface EnrollmentAuthoriser {
  readonly name: string;
  authorise(request: EnrollmentRequest): Promise<Decision>;
}

/** What authorisers read from the inventory; the app layer implements it over the store. */
export interface EnrollmentLookups {
  bootstrapToken(secret: string): Promise<BootstrapTokensTable | undefined>;
  manufacturers(): Promise<Array<{ name: string; cert: CertificateInfo }>>;
  deviceBySerial(serial: string): Promise<DevicesTable | undefined>;
  /** fleetpki's issuing CAs, any status: a certificate of a retired CA may still renew. */
  fleetIssuers(): Promise<Array<{ id: string; name: string; cert: CertificateInfo }>>;
  /** Every CA fleetpki holds (roots, issuing, manufacturer CAs), any status: what they signed is in the inventory. */
  fleetCas(): Promise<Array<{ id: string; name: string; cert: CertificateInfo }>>;
  certificate(issuerId: string, serialHex: string): Promise<CertificatesTable | undefined>;
  /** The newest certificate of the device under the profile that is valid at `now` (status valid, within its dates). */
  currentCertificate(deviceId: string, profile: string, now: Date): Promise<CertificatesTable | undefined>;
  /** Profile of IDevID enrolments that name no label (config est.defaultProfile). */
  defaultProfile: string | null;
}

export const granted = (actor: string, grant: Grant): Decision => ({ actor, grant });
export const refused = (actor: string, refusal: FleetPkiError): Decision => ({ actor, refusal });
