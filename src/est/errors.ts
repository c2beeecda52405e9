// The one place that turns an error into an EST answer: an HTTP status and a one-line,
// human-readable text/plain body, as RFC 7030 4.2.3 asks when no CMC response is sent.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FleetPkiError, type ErrorCode } from '../errors.ts';
import { drainRequest } from '../api/drain-request.ts';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  // A request understood and refused by policy: EST has no 422, and the client must not retry it unchanged.
  policy_denied: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
};

/** Errors Fastify raises while reading a request, in the client's terms. */
function frameworkError(error: FastifyError): { status: number; message: string } | null {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, message: 'the request body is larger than this server accepts' };
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, message: 'send the CSR with Content-Type: application/pkcs10 (base64 of the DER request)' };
  }
  if (error.code?.startsWith('FST_') && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return { status: error.statusCode, message: error.message };
  return null;
}

export function sendEstError(reply: FastifyReply, status: number, message: string): FastifyReply {
  // RFC 7030 3.2.3: a 401 invites HTTP authentication; the bootstrap token is the Basic password.
  if (status === 401) reply.header('www-authenticate', 'Basic realm="fleetpki EST"');
  return reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}

/** Told of refusals made before a route ran (the route's own are the RA's, audited there). */
export type FrameworkRefusalHook = (request: FastifyRequest, status: number, message: string) => Promise<void>;

export function estErrorHandler(onFrameworkRefusal: FrameworkRefusalHook) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const known = error instanceof FleetPkiError;
    const mapped = known ? { status: STATUS[error.code], message: error.message } : frameworkError(error as FastifyError);
    if (mapped) {
      request.log.info({ status: mapped.status }, mapped.message);
      if (known) return sendEstError(reply, mapped.status, mapped.message);
      // The rest of an oversized body is read first, then the answer, then the audit event: a
      // client still sending would otherwise see the connection reset instead of its 413.
      if (mapped.status === 413) await drainRequest(request.raw);
      sendEstError(reply, mapped.status, mapped.message);
      await onFrameworkRefusal(request, mapped.status, mapped.message).catch((err) => request.log.error({ err }, 'the audit event of an EST refusal could not be written'));
      return reply;
    }
    request.log.error({ err: error }, 'EST request failed');
    return sendEstError(reply, 500, `the server failed to handle this request; request id ${request.id} identifies it in the server log`);
  };
}

/** Which method each operation takes (RFC 7030 3.2.2). */
const METHODS: Record<string, string> = { cacerts: 'GET', csrattrs: 'GET', simpleenroll: 'POST', simplereenroll: 'POST', serverkeygen: 'POST' };

export function estNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0];
  const method = METHODS[path.slice(path.lastIndexOf('/') + 1)];
  if (method && method !== request.method) {
    reply.header('allow', method);
    return sendEstError(reply, 405, `${path} takes ${method}, not ${request.method}`);
  }
  return sendEstError(reply, 404, `no EST operation at ${request.method} ${path}; operations are /.well-known/est/[<label>/]cacerts, csrattrs, simpleenroll, simplereenroll, serverkeygen`);
}
