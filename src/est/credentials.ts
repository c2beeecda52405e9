// What a request presents as proof: the bootstrap secret from the Authorization header and
// the TLS client certificate chain. TLS does not verify client certificates here (two trust
// domains share the listener: manufacturers' and fleetpki's own); the RA's authorisers do.

import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { BadRequest, FleetPkiError, Unauthorized } from '../errors.ts';
import type { Credentials } from '../ra/authorisers/index.ts';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';

/** Bearer token, or the password of HTTP Basic (the user name is anything: RFC 7030 3.2.3 leaves it to the server). */
function secretOf(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme) && value) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (!password) throw new Unauthorized('the HTTP Basic password is empty; send the bootstrap token as the password (any user name)');
    return password;
  }
  throw new Unauthorized('the Authorization header must be "Basic <user:token in base64>" or "Bearer <token>"');
}

/** One TLS connection presents one chain; keep-alive requests reuse it instead of decoding it again. */
const chains = new WeakMap<TLSSocket, CertificateInfo[]>();

/** The peer's chain as Node exposes it (leaf first, following issuerCertificate until it repeats). */
export function presentedChain(socket: TLSSocket): CertificateInfo[] {
  const cached = chains.get(socket);
  if (cached) return cached;
  const chain: CertificateInfo[] = [];
  const seen = new Set<string>();
  for (let cert = socket.getPeerCertificate(true); cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(parseCertificate(cert.raw));
  }
  chains.set(socket, chain);
  return chain;
}

/** A credential that cannot be read is not thrown here but handed to the RA, whose refusal is audited. */
function attempt<T>(read: () => T, fallback: T, wrap: (error: Error) => FleetPkiError): { value: T; problem: FleetPkiError | null } {
  try {
    return { value: read(), problem: null };
  } catch (error) {
    return { value: fallback, problem: wrap(error as Error) };
  }
}

export function credentialsOf(request: FastifyRequest): Credentials {
  const secret = attempt(() => secretOf(request.headers.authorization), null, (error) => (error instanceof FleetPkiError ? error : new Unauthorized(error.message)));
  const chain = attempt(() => presentedChain(request.raw.socket as TLSSocket), [], (error) => new BadRequest(`the TLS client certificate cannot be read: ${error.message}`));
  return { secret: secret.value, clientChain: chain.value, malformed: secret.problem ?? chain.problem };
}
