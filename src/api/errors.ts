// The one place that turns an error into an HTTP answer. Every error body has the same
// shape, { error: { code, message, details? } }, so a client needs one parser for all of them.

import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { FleetPkiError, type ErrorCode } from '../errors.ts';
import { drainRequest } from './drain-request.ts';

export interface HttpError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  policy_denied: 422,
};

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: details ? { code, message, details } : { code, message } };
}

/** One schema problem as a person reads it, naming the field ("body.csr must be string"). */
function describeProblem(part: string, problem: FastifySchemaValidationError): string | null {
  const path = problem.instancePath.slice(1).replace(/\//g, '.');
  const where = path ? `${part}.${path}` : part;
  const params = problem.params as Record<string, unknown>;
  if (problem.keyword === 'required') {
    const missing = (params.requiredProperties as string[] | undefined) ?? [params.missingProperty];
    return `${where} is missing the field ${missing.join(', ')}`;
  }
  if (problem.keyword === 'additionalProperties') {
    const extra = (params.additionalProperties as string[] | undefined) ?? [params.additionalProperty];
    return `${where} has an unknown field ${extra.join(', ')}`;
  }
  if (problem.keyword === 'enum') return `${where} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
  // TypeBox reports each unknown field twice; the additionalProperties entry names it.
  if (problem.message === 'schema is false') return null;
  return `${where} ${problem.message}`;
}

function validationError(error: FastifyError): HttpError {
  const part = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'request');
  const problems = (error.validation ?? []).map((p) => describeProblem(part, p)).filter((p): p is string => p !== null);
  const unique = [...new Set(problems)];
  return { status: 400, code: 'bad_request', message: `invalid request: ${unique.join('; ')}`, details: { problems: unique } };
}

/** Errors Fastify raises itself while reading the request. */
function frameworkError(error: FastifyError): HttpError | null {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, code: 'payload_too_large', message: 'the request body is larger than this server accepts' };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && error.statusCode === 400)) {
    return { status: 400, code: 'bad_request', message: 'the request body is not valid JSON' };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, code: 'unsupported_media_type', message: 'send the request body as application/json' };
  }
  // Other client mistakes Fastify detects (empty JSON body, bad Content-Length, prototype
  // poisoning) keep their 4xx status with Fastify's own explanation.
  if (error.code?.startsWith('FST_') && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: error.statusCode === 413 ? 'payload_too_large' : 'bad_request', message: error.message };
  }
  return null;
}

/** Null means "not the client's fault": a 500 whose details stay in the log. */
export function toHttpError(error: unknown): HttpError | null {
  if (error instanceof FleetPkiError) return { status: STATUS[error.code], code: error.code, message: error.message, details: error.details };
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) return validationError(fastifyError);
  return frameworkError(fastifyError);
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  // RFC 6750: every 401 names the scheme the client should use.
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="fleetpki"');
  const retryAfter = error.details?.retryAfterSeconds;
  if (error.status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.code(error.status).type('application/json').send(errorBody(error.code, error.message, error.details));
}

export async function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const mapped = toHttpError(error);
  if (mapped) {
    request.log.info({ code: mapped.code, status: mapped.status }, mapped.message);
    // Fastify closes the connection after a 413 without reading the body: read it first, so
    // a client still sending gets the answer rather than a reset.
    if (mapped.status === 413) await drainRequest(request.raw);
    return sendError(reply, mapped);
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, {
    status: 500,
    code: 'internal_error',
    message: 'the server failed to handle this request; the request id identifies it in the server log',
    details: { requestId: request.id },
  });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, { status: 404, code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
}
