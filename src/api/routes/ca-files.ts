// CA certificates where relying parties fetch them: /ca/<name>.cer is the caIssuers URL every
// certificate carries (src/ca/urls.ts), so it is public and answers DER as RFC 5280 4.2.2.1 says.

import Type from 'typebox';
import type { Context } from '../../app/context.ts';
import { toPem } from '../../x509/pem.ts';
import type { Api, ApiDeps } from '../types.ts';

const CaFileParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }) });

const DerBody = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

// CA certificates change only when a CA is re-keyed; caches may keep them a while.
const CACHE_CONTROL = 'public, max-age=3600';

async function caCertificate(ctx: Context, name: string): Promise<Buffer> {
  return (await ctx.cas.byName(name)).row.certificate_der;
}

export function caFileRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['publication'];

  app.get('/ca/:name.cer', {
    schema: {
      tags,
      summary: 'CA certificate, DER (the caIssuers URL)',
      security: [],
      params: CaFileParams,
      response: { 200: { description: 'DER certificate', content: { 'application/pkix-cert': { schema: DerBody } } } },
    },
  }, async (request, reply) => {
    const der = await caCertificate(ctx, request.params.name);
    return reply.type('application/pkix-cert').header('cache-control', CACHE_CONTROL).send(der);
  });

  app.get('/ca/:name.pem', {
    schema: {
      tags,
      summary: 'CA certificate, PEM',
      security: [],
      params: CaFileParams,
      response: { 200: { description: 'PEM certificate', content: { 'application/x-pem-file': { schema: Type.String() } } } },
    },
  }, async (request, reply) => {
    const der = await caCertificate(ctx, request.params.name);
    return reply.type('application/x-pem-file').header('cache-control', CACHE_CONTROL).send(toPem(der, 'CERTIFICATE'));
  });
}
