// One request for a certificate, whichever way the agent proves itself: make or open the
// key, build the CSR, send it, check the answer, install it. Enrol, renew and re-bootstrap
// differ only in the EST operation, the authentication and the subject they pass here.

import { SoftwareSigner } from '../signer/software.ts';
import { parseCertificate } from '../x509/certificate.ts';
import { buildSignedCsr, type RequestSigner } from '../x509/csr-build.ts';
import { generateKeyPair } from '../x509/keys.ts';
import { encodeName } from '../x509/name.ts';
import { chainFor } from './chain.ts';
import { AgentError } from './errors.ts';
import { enrollRequest, fetchCaCerts, type EstAuth, type EstTarget } from './est-client.ts';
import { KeyCommandSigner } from './key-command.ts';
import { usablePoint } from './schedule.ts';
import type { AgentSettings } from './settings.ts';
import type { CurrentCertificate, StateDir } from './state.ts';

export function targetOf(settings: AgentSettings, state: StateDir): EstTarget {
  return { server: settings.server, label: settings.label, ca: state.caBundle() };
}

/** The subject of a first request: the serial, as in the IDevID. The CA decides the real names. */
export function serialSubject(serial: string): Buffer {
  return encodeName([['serialNumber', serial]]);
}

/**
 * A new software key for every request (a renewal is a re-key), staged on disk before the
 * request leaves; or the key behind the key command, which never changes.
 */
async function requestSigner(settings: AgentSettings, state: StateDir): Promise<RequestSigner> {
  if (settings.keyCommand) return KeyCommandSigner.open(settings.keyCommand);
  const { privateKey } = generateKeyPair(settings.keyType);
  state.stageKey(privateKey);
  return new SoftwareSigner(privateKey);
}

export interface ObtainRequest {
  operation: 'simpleenroll' | 'simplereenroll';
  auth: EstAuth;
  subjectDer: Buffer;
}

export async function obtainCertificate(settings: AgentSettings, state: StateDir, request: ObtainRequest): Promise<CurrentCertificate> {
  const target = targetOf(settings, state);
  const signer = await requestSigner(settings, state);
  const csr = await buildSignedCsr(request.subjectDer, signer);
  const answer = await enrollRequest(target, request.operation, csr, request.auth);
  const spki = signer.publicKey.export({ format: 'der', type: 'spki' });
  const leaf = answer.certificates.map((der) => parseCertificate(der)).find((cert) => cert.spkiDer.equals(spki));
  if (!leaf) throw new AgentError(`${request.operation}: no certificate in the answer is for the key that was sent`);
  const intermediates = chainFor(leaf.der, [...answer.certificates, ...(await fetchCaCerts(target))], target.ca);
  // Kept before the certificate moves into place, so an install a crash completes later still has it.
  if (usablePoint(leaf, answer.renewAfter)) state.rememberRenewAfter(leaf.fingerprintSha256, answer.renewAfter);
  return state.install(leaf.der, intermediates);
}
