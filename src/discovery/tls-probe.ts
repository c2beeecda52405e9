// One TLS handshake with an endpoint to see the certificate chain it presents. Verification
// is off on purpose (an expired or self-signed certificate is what we want to see), the
// security level is 0 so that old devices offering TLS 1.0 or RSA-1024 still answer, and
// nothing is sent after the handshake: discovery never trusts the connection for anything.
//
// The chain is read from the handshake itself (tls-certificate-message.ts), as the server
// sent it. Should that fail, Node's issuer-linked chain is the fallback, over an empty trust
// store so that no CA the server did not send is added, and the result says which it is.

import { connect as connectTcp, type Socket } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { presentedCertificates, serverHandshakeSecretOf, UnreadableHandshake } from './tls-certificate-message.ts';
import { ReceiveTap } from './tls-tap.ts';
import type { Target } from './targets.ts';

export interface ProbeResult {
  /** DER of every certificate the server sent, in its order (the leaf first). */
  chain: Buffer[];
  /** handshake: read from the Certificate message; issuer-links: Node's rebuilt chain (see chainNote). */
  chainSource: 'handshake' | 'issuer-links';
  /** Why the handshake could not be read, when chainSource is issuer-links. */
  chainNote: string | null;
  protocol: string | null;
  cipher: string | null;
}

export class ProbeError extends Error {}

/** A handshake with a chain of a few certificates is a few KiB; this is room for any real one. */
const MAX_HANDSHAKE_BYTES = 1 << 20;

/**
 * Node links the chain through issuerCertificate: only what links to the leaf, in issuing
 * order; a self-signed certificate is its own issuer, hence the visited set.
 */
function linkedChain(socket: TLSSocket): Buffer[] {
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

function presented(socket: TLSSocket, tap: ReceiveTap, secret: Buffer | null, limit: number): Pick<ProbeResult, 'chain' | 'chainSource' | 'chainNote'> {
  try {
    if (tap.overflowed) throw new UnreadableHandshake(`the handshake exceeded ${limit} bytes`);
    const chain = presentedCertificates({ protocol: socket.getProtocol(), cipher: socket.getCipher()?.standardName ?? null, received: tap.received, serverHandshakeSecret: secret });
    // The leaf OpenSSL took from the same handshake: if the two readings differ, trust neither copy of ours.
    const leaf = socket.getPeerX509Certificate()?.raw;
    if (!leaf || chain.length === 0 || !chain[0].equals(leaf)) throw new UnreadableHandshake('the Certificate message read does not start with the leaf the TLS library saw');
    return { chain, chainSource: 'handshake', chainNote: null };
  } catch (error) {
    if (!(error instanceof UnreadableHandshake)) throw error;
    return { chain: linkedChain(socket), chainSource: 'issuer-links', chainNote: error.message };
  }
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
    default: {
      // OpenSSL's message is a line of library internals; its reason says it ("wrong version number": not TLS).
      const reason = (error as { reason?: unknown }).reason;
      if (error.code?.startsWith('ERR_SSL_') && typeof reason === 'string') return `${target.location}: TLS handshake failed: ${reason}`;
      return `${target.location}: ${error.message}`;
    }
  }
}

/** TLS over the tap, once TCP is up. SNI only for a name, never an address (targets.ts). */
function handshake(tcp: Socket, target: Target, limit: number): { socket: TLSSocket; tap: ReceiveTap; secret: () => Buffer | null } {
  const tap = new ReceiveTap(tcp, limit);
  const socket = connect({
    socket: tap,
    ...(target.serverName ? { servername: target.serverName } : {}),
    rejectUnauthorized: false,
    minVersion: 'TLSv1',
    ciphers: 'DEFAULT:@SECLEVEL=0',
    // No trust store: nothing is verified, and an empty store keeps Node from appending its own roots to the fallback chain.
    ca: [],
  });
  let secret: Buffer | null = null;
  socket.on('keylog', (line) => {
    secret ??= serverHandshakeSecretOf(line);
  });
  return { socket, tap, secret: () => secret };
}

export interface ProbeLimits {
  /** Bytes of the server's handshake kept to read its certificates from (tests lower it to reach the fallback). */
  handshakeBytes?: number;
}

export function probeTls(target: Target, timeoutMs: number, signal?: AbortSignal, limits: ProbeLimits = {}): Promise<ProbeResult> {
  const limit = limits.handshakeBytes ?? MAX_HANDSHAKE_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    let tls: TLSSocket | undefined;
    const tcp = connectTcp({ host: target.host, port: target.port });
    const timer = setTimeout(() => fail(new ProbeError(`no TLS handshake with ${target.location} within ${timeoutMs} ms`)), timeoutMs);
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      tls?.destroy();
      tcp.destroy();
    };
    const fail = (error: Error) => {
      if (settled) return;
      finish();
      reject(error instanceof ProbeError ? error : new ProbeError(describeError(error as NodeJS.ErrnoException, target)));
    };
    const stop = () => fail(new ProbeError(`scan stopped before ${target.location} answered`));
    signal?.addEventListener('abort', stop, { once: true });
    tcp.on('error', fail);
    tcp.once('close', () => fail(new ProbeError(`${target.location} closed the connection before the TLS handshake finished`)));
    tcp.once('connect', () => {
      const started = handshake(tcp, target, limit);
      tls = started.socket;
      tls.on('error', fail);
      tls.once('secureConnect', () => {
        if (settled) return;
        try {
          const result = { ...presented(started.socket, started.tap, started.secret(), limit), protocol: started.socket.getProtocol(), cipher: started.socket.getCipher()?.name ?? null };
          finish();
          if (result.chain.length === 0) reject(new ProbeError(`${target.location} presented no certificate`));
          else resolve(result);
        } catch (error) {
          fail(error as Error);
        }
      });
    });
  });
}
