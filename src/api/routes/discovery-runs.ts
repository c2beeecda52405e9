// /api/v1/discovery/scans and /imports: find the certificates already out there. A scan runs
// in the background of the server (202 with the run; poll GET /discovery/scans/:id), an import
// of a PEM bundle is read in the request (201 with the finished run).

import Type from 'typebox';
import { BackgroundScans } from '../../discovery/background.ts';
import { importBundle } from '../../discovery/import.ts';
import { getRunOrThrow } from '../../discovery/runs.ts';
import { runView } from '../../discovery/views.ts';
import { BadRequest } from '../../errors.ts';
import { listRunTargets } from '../../store/repos/discovery-runs.ts';
import { IdParams } from '../schemas/common.ts';
import { RunOptionsFields, RunView, ScanBody } from '../schemas/discovery.ts';
import type { Api, ApiDeps } from '../types.ts';

/** A factory's export of a whole batch is a few MiB of PEM; larger imports go through the CLI. */
export const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

const PEM_TYPES = ['application/pem-certificate-chain', 'application/x-pem-file'];
const DER_TYPE = 'application/pkix-cert';

const ImportBody = Type.Object(
  {
    pem: Type.Optional(Type.String({ minLength: 1, description: 'One or more PEM CERTIFICATE blocks' })),
    der: Type.Optional(Type.String({ minLength: 1, description: 'Base64 of one DER certificate' })),
    label: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$', description: 'Where the bundle came from (shown as upload:<label>)' })),
    ...RunOptionsFields,
  },
  { additionalProperties: false },
);

const ImportQuery = Type.Object({
  label: Type.Optional(ImportBody.properties.label),
  ...RunOptionsFields,
});

/** Raw PEM or DER bodies become the JSON body's fields, so one schema validates both. */
function rawBodies(app: Api): void {
  app.addContentTypeParser(PEM_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, { pem: body }));
  app.addContentTypeParser(DER_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, { der: (body as Buffer).toString('base64') }));
}

function bundleBytes(body: { pem?: string; der?: string }): Buffer {
  if (Boolean(body.pem) === Boolean(body.der)) throw new BadRequest('send either pem (a PEM bundle) or der (base64 of one DER certificate)');
  if (body.pem) return Buffer.from(body.pem, 'utf8');
  const der = Buffer.from(body.der!, 'base64');
  if (der.length === 0 || der[0] !== 0x30) throw new BadRequest('der is not base64 of a DER certificate');
  return der;
}

export function discoveryRunRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['discovery'];
  const scans = new BackgroundScans(ctx);
  app.addHook('onClose', () => scans.close());
  rawBodies(app);

  app.post('/discovery/scans', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Scan TLS endpoints in the background; poll the returned run', body: ScanBody, response: { 202: RunView } },
  }, async (request, reply) => {
    const run = await scans.start(request.body, request.actor);
    return reply.code(202).header('location', `${request.url.split('?')[0]}/${run.id}`).send(runView(run));
  });

  app.get('/discovery/scans/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'A scan: progress while running, then every target with its outcome', params: IdParams, response: { 200: RunView } },
  }, async (request) => {
    const run = await getRunOrThrow(ctx, request.params.id, 'scan');
    return runView(run, await listRunTargets(ctx.db, run.id));
  });

  app.post('/discovery/imports', {
    config: { permission: 'operate' },
    bodyLimit: Math.max(IMPORT_BODY_LIMIT, ctx.config.bodyLimitBytes),
    schema: {
      tags,
      summary: 'Import certificates: JSON { pem | der }, or a raw application/pem-certificate-chain or application/pkix-cert body',
      querystring: ImportQuery,
      body: ImportBody,
      response: { 201: RunView },
    },
  }, async (request, reply) => {
    const { pem, der, ...fields } = request.body;
    const options = { ...request.query, ...fields };
    const run = await importBundle(ctx, bundleBytes({ pem, der }), options.label ?? 'api', { expiringWithinDays: options.expiringWithinDays }, request.actor);
    return reply.code(201).header('location', `${request.url.split('?')[0]}/${run.id}`).send(runView(run, await listRunTargets(ctx.db, run.id)));
  });

  app.get('/discovery/imports/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'An import and what each of its files or bundles held', params: IdParams, response: { 200: RunView } },
  }, async (request) => {
    const run = await getRunOrThrow(ctx, request.params.id, 'import');
    return runView(run, await listRunTargets(ctx.db, run.id));
  });
}
