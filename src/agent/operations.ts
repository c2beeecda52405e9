// The three ways the agent gets a certificate. Each is one EST request through
// obtainCertificate; they differ in how the device proves who it is.

import { readFileSync } from 'node:fs';
import { AgentError } from './errors.ts';
import { obtainCertificate, serialSubject } from './obtain.ts';
import type { AgentSettings } from './settings.ts';
import { STATE_FILES, type CurrentCertificate, type StateDir } from './state.ts';
import type { EstAuth } from './est-client.ts';

function readCredential(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function idevidAuth(settings: AgentSettings): EstAuth {
  if (!settings.idevid) throw new AgentError('no IDevID configured (enrol with --idevid-cert and --idevid-key)');
  return { kind: 'certificate', certPem: readCredential(settings.idevid.cert, 'IDevID certificate'), keyPem: readCredential(settings.idevid.key, 'IDevID key') };
}

/** First enrolment with a one-time bootstrap token. */
export function enrollWithToken(settings: AgentSettings, state: StateDir, token: string): Promise<CurrentCertificate> {
  return obtainCertificate(settings, state, { operation: 'simpleenroll', auth: { kind: 'token', username: settings.serial, token }, subjectDer: serialSubject(settings.serial) });
}

/** First enrolment, or enrolment again after the operational certificate expired, with the birth certificate. */
export function enrollWithIdevid(settings: AgentSettings, state: StateDir): Promise<CurrentCertificate> {
  return obtainCertificate(settings, state, { operation: 'simpleenroll', auth: idevidAuth(settings), subjectDer: serialSubject(settings.serial) });
}

/**
 * Renewal (RFC 7030 4.2.2): the current certificate authenticates the request in the TLS
 * handshake, and the request repeats its subject. Nothing in the request speaks of lifetime.
 */
export function renew(settings: AgentSettings, state: StateDir, current: CurrentCertificate): Promise<CurrentCertificate> {
  if (current.info.notAfter.getTime() < Date.now()) throw new AgentError(`the certificate expired at ${current.info.notAfter.toISOString()}; it cannot authenticate a renewal (re-bootstrap with the IDevID)`);
  if (settings.keyCommand) {
    // Node's TLS needs the private key in the process; a key behind a command cannot sign the
    // handshake, so the birth certificate authenticates instead.
    if (!settings.idevid) throw new AgentError('with --key-command, renewal authenticates with the IDevID, and none is configured');
    return enrollWithIdevid(settings, state);
  }
  const keyPem = readCredential(state.path(STATE_FILES.key), 'current key');
  const auth: EstAuth = { kind: 'certificate', certPem: current.pem + current.chainPem, keyPem };
  return obtainCertificate(settings, state, { operation: 'simplereenroll', auth, subjectDer: current.info.subjectDer });
}
