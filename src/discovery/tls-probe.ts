// One TLS handshake with an endpoint to see the certificate chain it presents. Verification
// is off on purpose (an expired or self-signed certificate is what we want to see), the
// security level is 0 so that old devices offering TLS 1.0 or RSA-1024 still answer, and
// nothing is sent after the handshake: discovery never trusts the connection for anything.

import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { Target } from './targets.ts';

export interface ProbeResult {
  /** DER of the leaf, then the CA certificates the server sent, in its order. */
  chain: Buffer[];
  protocol: string | null;
  cipher: string | null;
}

export class ProbeError extends Error {}

/** Node links the chain through issuerCertificate; a self-signed certificate is its own issuer. */
function chainOf(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(Buffer.from(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}

function describeError(error: NodeJS.ErrnoException, target: Target): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${target.location}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${target.host}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${target.location} is unreachable`;
    case 'ECONNRESET':
      return `${target.location} closed the connection during the TLS handshake (not a TLS endpoint?)`;
    default:
      return `${target.location}: ${error.message}`;
  }
}

export function probeTls(target: Target, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.serverName ? { servername: target.serverName } : {}),
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    const timer = setTimeout(() => fail(new ProbeError(`no TLS handshake with ${target.location} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error instanceof ProbeError ? error : new ProbeError(describeError(error as NodeJS.ErrnoException, target)));
    };
    const stop = () => fail(new ProbeError(`scan stopped before ${target.location} answered`));
    signal?.addEventListener('abort', stop, { once: true });
    socket.once('close', () => signal?.removeEventListener('abort', stop));
    socket.once('error', fail);
    socket.once('close', () => fail(new ProbeError(`${target.location} closed the connection before the TLS handshake finished`)));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const result = { chain: chainOf(socket), protocol: socket.getProtocol(), cipher: socket.getCipher()?.name ?? null };
      socket.destroy();
      if (result.chain.length === 0) reject(new ProbeError(`${target.location} presented no certificate`));
      else resolve(result);
    });
  });
}
