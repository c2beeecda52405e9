// The agent's side of EST (RFC 7030) over node:https: the server is trusted only through the
// pinned CA bundle (never the system's roots), and the client authenticates with a bootstrap
// token (HTTP auth) or a certificate in the TLS handshake (IDevID, or the current one).

import { request } from 'node:https';
import { AgentError, EnrollmentRefused, ServerUnavailable } from './errors.ts';
import { decodeCertsOnly } from '../x509/pkcs7.ts';
import { decodeEstBody } from './est-body.ts';

export interface EstTarget {
  /** https://host:port */
  server: string;
  label: string | null;
  /** PEM bundle of the CAs the server's TLS certificate must chain to. */
  ca: string;
  timeoutMs?: number;
}

export type EstAuth =
  | { kind: 'none' }
  /** A one-time bootstrap token, sent as the HTTP Basic password (RFC 7030 3.2.3) with the serial as user name. */
  | { kind: 'token'; username: string; token: string }
  /** A certificate (with any intermediates after it) and its key, for the TLS handshake. */
  | { kind: 'certificate'; certPem: string; keyPem: string };

export type EstOperation = 'cacerts' | 'simpleenroll' | 'simplereenroll' | 'csrattrs';

const MAX_BODY = 1024 * 1024;
const TLS_TRUST_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

export function estUrl(target: EstTarget, operation: EstOperation): URL {
  return new URL(`${target.server}/.well-known/est${target.label ? `/${target.label}` : ''}/${operation}`);
}

function retryAfterMs(header: string | string[] | undefined): number | null {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function outcome(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer, what: string): Buffer {
  if (status === 200) return body;
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300);
  const said = text ? `: ${text}` : '';
  if (status === 202) throw new ServerUnavailable(`${what}: the request is pending at the server`, retryAfterMs(headers['retry-after']));
  if (status >= 500) throw new ServerUnavailable(`${what}: server error ${status}${said}`, retryAfterMs(headers['retry-after']));
  throw new EnrollmentRefused(status, `${what}: refused with ${status}${said}`);
}

type Headers = Record<string, string | string[] | undefined>;

function send(target: EstTarget, operation: EstOperation, auth: EstAuth, body: Buffer | null): Promise<{ body: Buffer; headers: Headers }> {
  const url = estUrl(target, operation);
  const headers: Record<string, string> = { accept: operation === 'csrattrs' ? 'application/csrattrs' : 'application/pkcs7-mime' };
  if (body) Object.assign(headers, { 'content-type': 'application/pkcs10', 'content-transfer-encoding': 'base64', 'content-length': String(body.length) });
  if (auth.kind === 'token') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.token}`).toString('base64')}`;
  const tls = auth.kind === 'certificate' ? { cert: auth.certPem, key: auth.keyPem } : {};
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body ? 'POST' : 'GET', headers, ca: target.ca, ...tls, agent: false, timeout: target.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) return req.destroy(new AgentError(`${operation}: answer larger than ${MAX_BODY} bytes`));
        chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          resolve({ body: outcome(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), operation), headers: res.headers });
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new ServerUnavailable(`${operation}: no answer from ${url.host} within ${(target.timeoutMs ?? 30_000) / 1000}s`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof AgentError) return reject(error);
      // Retried like an outage (the server may be mid-way through a certificate change), but said plainly.
      const why = TLS_TRUST_ERRORS.test(error.code ?? '') ? `the server's TLS certificate is not trusted by the pinned CA bundle (${error.code})` : `cannot reach ${url.host}: ${error.code ?? error.message}`;
      reject(new ServerUnavailable(`${operation}: ${why}`, null, { cause: error }));
    });
    req.end(body ?? undefined);
  });
}

/** The CA certificates the server distributes (RFC 7030 4.1). */
export async function fetchCaCerts(target: EstTarget): Promise<Buffer[]> {
  return decodeCertsOnly(decodeEstBody((await send(target, 'cacerts', { kind: 'none' }, null)).body));
}

/** fleetpki's extension header (docs/est.md): when the server counts the new certificate due for renewal. */
export const RENEW_AFTER_HEADER = 'fleetpki-renew-after';

export interface EnrollAnswer {
  certificates: Buffer[];
  /** The server's renewal point for the new certificate, if it sent a readable one (a fleetpki server does). */
  renewAfter: Date | null;
}

function renewAfterOf(headers: Headers): Date | null {
  const value = headers[RENEW_AFTER_HEADER];
  const text = Array.isArray(value) ? value[0] : value;
  // RFC 3339 only: Date.parse would also read free-form dates a confused proxy might produce.
  if (!text || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text.trim())) return null;
  return new Date(text.trim());
}

/** Sends a CSR (DER); returns the certificates of the answer (the new one among them) and the server's renewal point. */
export async function enrollRequest(target: EstTarget, operation: 'simpleenroll' | 'simplereenroll', csrDer: Buffer, auth: EstAuth): Promise<EnrollAnswer> {
  const body = Buffer.from(csrDer.toString('base64').replace(/(.{64})/g, '$1\r\n'));
  const answer = await send(target, operation, auth, body);
  const certificates = decodeCertsOnly(decodeEstBody(answer.body));
  if (certificates.length === 0) throw new AgentError(`${operation}: the answer holds no certificate`);
  return { certificates, renewAfter: renewAfterOf(answer.headers) };
}
