// CRLs where relying parties fetch them: /crl/<ca>.crl (the full CRL, also the distribution
// point of certificates issued before partitioning) and /crl/<ca>/<partition>.crl (the one
// issued certificates name). Public, DER as RFC 5280 4.2.1.13 expects, PEM on request.

import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { crlService, type CurrentCrl } from '../../revocation/crl-service.ts';
import { FULL_CRL } from '../../revocation/partition.ts';
import { toPem } from '../../x509/pem.ts';
import type { Api, ApiDeps } from '../types.ts';

const DER_TYPE = 'application/pkix-crl';
const PEM_TYPE = 'application/x-pem-file';

// Loose on purpose: an unknown CA or partition is a 404 that explains, not a pattern error.
const Segment = Type.String({ minLength: 1, maxLength: 64 });
const FullParams = Type.Object({ name: Segment });
const PartitionParams = Type.Object({ name: Segment, partition: Segment });
const Format = Type.Object({ format: Type.Optional(Type.Enum(['der', 'pem'], { description: 'pem for a PEM "X509 CRL" block; default DER unless Accept asks for application/x-pem-file' })) });

const responses = {
  200: {
    description: 'The current CRL',
    content: { [DER_TYPE]: { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) }, [PEM_TYPE]: { schema: Type.String() } },
  },
  304: { description: 'The CRL of the If-None-Match ETag is still the current one' },
};

function wantsPem(request: FastifyRequest, format: string | undefined): boolean {
  if (format) return format === 'pem';
  return (request.headers.accept ?? '').includes(PEM_TYPE);
}

/**
 * Only the ETag revalidates. Last-Modified has one-second resolution and two CRLs can be
 * signed within one second, so a 304 on If-Modified-Since could hide a revocation.
 */
function notModified(request: FastifyRequest, etag: string): boolean {
  const match = request.headers['if-none-match'];
  return match !== undefined && match.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
}

/** Caches may keep a CRL until its nextUpdate, when relying parties fetch the next one anyway. */
function send(request: FastifyRequest, reply: FastifyReply, crl: CurrentCrl, pem: boolean): FastifyReply {
  const { meta } = crl;
  const thisUpdate = Date.parse(meta.this_update);
  const nextUpdate = Date.parse(meta.next_update);
  const etag = `"${crl.caName}-${meta.partition}-${meta.crl_number}${pem ? '-pem' : ''}"`;
  reply
    .header('cache-control', `public, max-age=${Math.max(0, Math.floor((nextUpdate - Date.now()) / 1000))}, no-transform`)
    .header('last-modified', new Date(thisUpdate).toUTCString())
    .header('expires', new Date(nextUpdate).toUTCString())
    .header('etag', etag)
    .header('vary', 'accept');
  if (notModified(request, etag)) return reply.code(304).send();
  return pem ? reply.type(PEM_TYPE).send(toPem(crl.der, 'X509 CRL')) : reply.type(DER_TYPE).send(crl.der);
}

export function crlRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['publication'];
  const service = crlService(ctx);

  app.get('/crl/:name.crl', {
    schema: { tags, summary: "A CA's full CRL (no issuingDistributionPoint)", security: [], params: FullParams, querystring: Format, response: responses },
  }, async (request, reply) => {
    const crl = await service.current(request.params.name, FULL_CRL);
    return send(request, reply, crl, wantsPem(request, request.query.format));
  });

  app.get('/crl/:name/:partition.crl', {
    schema: { tags, summary: 'One CRL partition of a CA: the distribution point issued certificates carry', security: [], params: PartitionParams, querystring: Format, response: responses },
  }, async (request, reply) => {
    const crl = await service.current(request.params.name, request.params.partition);
    return send(request, reply, crl, wantsPem(request, request.query.format));
  });
}
