// OCSP over HTTP (RFC 6960 A.1, RFC 5019 5 and 6): POST /ocsp with the DER request as body,
// GET /ocsp/<URL-encoded base64 of the DER request>. Public, like the CA certificates. OCSP
// errors are OCSP responses with HTTP 200, which is what clients parse; only a request above
// MAX_REQUEST_BYTES is refused at the HTTP level (413), GET or POST alike, before it is parsed.

import type { FastifyReply } from 'fastify';
import { Counter } from 'prom-client';
import Type from 'typebox';
import type { Api, ApiDeps } from '../api/types.ts';
import { FleetPkiError } from '../errors.ts';
import { MAX_REQUEST_BYTES, OcspResponder, type OcspAnswer } from './responder.ts';

export { OcspResponder };

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** Longest base64 text of a request of MAX_REQUEST_BYTES. */
const MAX_BASE64 = Math.ceil(MAX_REQUEST_BYTES / 3) * 4;

class TooLarge extends FleetPkiError {
  constructor() {
    super('payload_too_large', `OCSP requests are limited to ${MAX_REQUEST_BYTES} bytes`);
  }
}

/** The request in a GET URL. Clients differ in whether they percent-encode "/", "+" and "=", so both forms are read. */
function requestFromUrl(rawUrl: string): Buffer {
  const encoded = rawUrl.slice('/ocsp/'.length).split('?')[0];
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return Buffer.alloc(0);
  }
  if (text.length > MAX_BASE64) throw new TooLarge();
  const der = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (der.length > MAX_REQUEST_BYTES) throw new TooLarge();
  return der;
}

/** RFC 5019 6.2: caches may keep a response until its nextUpdate, no longer. */
function send(reply: FastifyReply, answer: OcspAnswer, ifNoneMatch: string | undefined): FastifyReply {
  reply.type('application/ocsp-response');
  const caching = answer.caching;
  if (!caching) return reply.header('cache-control', 'no-store').send(answer.der);
  const maxAge = Math.max(0, Math.floor((caching.nextUpdate.getTime() - Date.now()) / 1000));
  reply
    .header('last-modified', caching.lastModified)
    .header('expires', caching.expires)
    .header('etag', caching.etag)
    .header('cache-control', `max-age=${maxAge}, public, no-transform, must-revalidate`);
  if (ifNoneMatch === caching.etag) return reply.code(304).send();
  return reply.send(answer.der);
}

const OcspResponseBody = { description: 'OCSPResponse, DER (OCSP errors too)', content: { 'application/ocsp-response': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } } };

/**
 * fleetpki_ocsp_responses_total, counted when the answer has gone out, in a hook scoped to
 * these two routes: a request refused before the responder saw it (a GET above the size
 * limit, a POST body over it, answered 413 by the error handler) is counted as well, under
 * status="http_<code>" and source="http", since it never got an OCSPResponseStatus.
 */
function countAnswers(scope: Api, deps: ApiDeps): WeakMap<object, OcspAnswer> {
  const answered = new Counter({
    name: 'fleetpki_ocsp_responses_total',
    help: 'OCSP requests answered, by OCSPResponseStatus and source (cache: pre-signed; signed: on demand; error); refused at the HTTP level before parsing (413 above 8 KiB): status="http_<code>", source="http"',
    labelNames: ['status', 'source'] as const,
    registers: [deps.metrics.registry],
  });
  const answers = new WeakMap<object, OcspAnswer>();
  scope.addHook('onResponse', async (request, reply) => {
    const answer = answers.get(request);
    if (answer) answered.inc({ status: answer.status, source: answer.source });
    else answered.inc({ status: `http_${reply.statusCode}`, source: 'http' });
  });
  return answers;
}

/** Serves `responder`, or one made here and closed with the server. */
export async function ocspRoutes(app: Api, deps: ApiDeps, given?: OcspResponder): Promise<void> {
  const responder = given ?? new OcspResponder(deps.ctx);
  if (!given) app.addHook('onClose', () => responder.close());
  // Per-request logs at info would be most of the log on a busy responder; refusals log themselves.
  const common = { logLevel: 'warn' as const, bodyLimit: MAX_REQUEST_BYTES };
  const tags = ['ocsp'];

  await app.register(async (scope) => {
    const answers = countAnswers(scope, deps);
    const respond = async (request: object, der: Buffer) => {
      const answer = await responder.respond(der);
      answers.set(request, answer);
      return answer;
    };
    // Any content type: the body is the DER request whatever a client labels it (RFC 6960 asks for application/ocsp-request).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES }, (_request, body, done) => done(null, body));

    scope.post('/ocsp', { ...common, schema: { tags, summary: 'OCSP request, DER body (RFC 6960 A.1.1)', security: [], response: { 200: OcspResponseBody } } }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return send(reply, await respond(request, body), undefined);
    });

    scope.get('/ocsp/*', { ...common, schema: { tags, summary: 'OCSP request as URL-encoded base64 of its DER (RFC 6960 A.1.1, RFC 5019 5)', security: [], response: { 200: OcspResponseBody } } }, async (request, reply) => {
      const der = requestFromUrl(request.raw.url ?? '');
      return send(reply, await respond(request, der), request.headers['if-none-match']);
    });
  });
}
