// /api/v1/certificates: issue from a CSR, search, fetch as PEM, revoke, release from hold. Issuance goes
// through app/certificates.ts, the same path every protocol front end uses.

import type { FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { caChainPem } from '../../app/cas.ts';
import type { Context } from '../../app/context.ts';
import { getCertificate, issueFromCsr, releaseCertificate, revokeCertificate } from '../../app/certificates.ts';
import { BadRequest, FleetPkiError, NotFound } from '../../errors.ts';
import { searchCertificates, type CertificateFilter } from '../../store/repos/certificates.ts';
import { toPem } from '../../x509/pem.ts';
import { toHttpError } from '../errors.ts';
import { AfterCursor, IdParams, Limit, Page, Timestamp, pemResponse } from '../schemas/common.ts';
import { CertificateStatus, CertificateView, RevocationReason } from '../schemas/views.ts';
import { presentCertificate, presentCertificates } from '../present.ts';
import type { Api, ApiDeps } from '../types.ts';

const PEM_CHAIN = 'application/pem-certificate-chain';

const CertificateQuery = Type.Object({
  status: Type.Optional(CertificateStatus),
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Name of the issuing CA' })),
  profile: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  expiringBefore: Type.Optional(Timestamp),
  expiringAfter: Type.Optional(Timestamp),
  serial: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{1,64}$', description: 'Hex serial number' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive substring of subject or SANs' })),
  limit: Limit,
  after: Type.Optional(AfterCursor),
});

const IssueBody = Type.Object(
  {
    csr: Type.String({ minLength: 1, description: 'PKCS#10 request as PEM, or base64 of its DER' }),
    profile: Type.String({ minLength: 1, maxLength: 64 }),
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    replaces: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Id of the certificate this one renews' })),
  },
  { additionalProperties: false },
);

const Issued = Type.Object({
  certificate: CertificateView,
  chainPem: Type.String({ description: 'The certificate, then its issuing CA chain up to the root' }),
});

const RevokeBody = Type.Object(
  { reason: Type.Optional(RevocationReason) },
  { additionalProperties: false, default: {}, description: 'RFC 5280 reason; certificateHold puts the certificate on hold instead' },
);

/** Timestamps are stored as toISOString() text, so filters must be in that exact form to compare. */
const iso = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

async function toFilter(ctx: Context, query: Static<typeof CertificateQuery>): Promise<CertificateFilter> {
  const { limit: _limit, after: _after, issuer, expiringBefore, expiringAfter, ...rest } = query;
  const filter: CertificateFilter = { ...rest, expiringBefore: iso(expiringBefore), expiringAfter: iso(expiringAfter) };
  if (issuer !== undefined) {
    filter.issuerId = (
      await ctx.cas.byName(issuer).catch((error) => {
        throw error instanceof NotFound ? new BadRequest(`no CA named ${issuer} to filter by`) : error;
      })
    ).row.id;
  }
  return filter;
}

/**
 * Every refused issuance request is counted and is an audit event. Refusals decided by
 * app/certificates.ts are audited there; this adds the ones Fastify decides before the app
 * sees the request (oversized body, unparsable JSON, a missing field). Authentication
 * refusals have their own api.auth event.
 */
function issuanceRefused({ ctx, metrics }: ApiDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply, error: Error): Promise<void> => {
    const refusal = toHttpError(error);
    if (!refusal || refusal.status === 401 || refusal.status === 403) return;
    metrics.issuanceRefusals.inc({ code: refusal.code });
    if (error instanceof FleetPkiError) return;
    const deviceId = (request.body as { deviceId?: unknown } | undefined)?.deviceId;
    await ctx.ledger.audit([
      {
        actor: request.actor,
        action: 'certificate.issue',
        target: typeof deviceId === 'string' ? `device:${deviceId}` : null,
        outcome: 'refused',
        details: { code: refusal.code, reason: refusal.message },
      },
    ]);
  };
}

export function certificateRoutes(app: Api, deps: ApiDeps): void {
  const { ctx, metrics } = deps;
  const tags = ['certificates'];

  app.get('/certificates', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'Search certificates',
      querystring: CertificateQuery,
      response: { 200: Page(CertificateView) },
    },
  }, async (request) => {
    const page = await searchCertificates(ctx.db, await toFilter(ctx, request.query), { limit: request.query.limit, after: request.query.after });
    return { items: await presentCertificates(ctx, page.items), nextCursor: page.nextCursor };
  });

  app.post('/certificates', {
    config: { permission: 'operate' },
    onError: issuanceRefused(deps),
    schema: { tags, summary: 'Issue a certificate from a CSR', body: IssueBody, response: { 201: Issued } },
  }, async (request, reply) => {
    const row = await issueFromCsr(ctx, request.body, request.actor);
    metrics.certificatesIssued.inc();
    const certificate = await presentCertificate(ctx, row);
    return reply.code(201).send({ certificate, chainPem: certificate.pem + (await caChainPem(ctx, certificate.issuer)) });
  });

  app.get('/certificates/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One certificate', params: IdParams, response: { 200: CertificateView } },
  }, async (request) => {
    return presentCertificate(ctx, await getCertificate(ctx, request.params.id));
  });

  app.get('/certificates/:id/pem', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'The certificate as PEM, with ?chain=true followed by its CA chain',
      params: IdParams,
      querystring: Type.Object({ chain: Type.Boolean({ default: false }) }),
      response: { 200: pemResponse(PEM_CHAIN, 'PEM certificate(s)') },
    },
  }, async (request, reply) => {
    const row = await getCertificate(ctx, request.params.id);
    let pem = toPem(row.der, 'CERTIFICATE');
    if (request.query.chain) pem += await caChainPem(ctx, (await ctx.cas.get(row.issuer_id)).row.name);
    return reply.type(PEM_CHAIN).send(pem);
  });

  app.post('/certificates/:id/revoke', {
    config: { permission: 'operate' },
    schema: {
      tags,
      summary: 'Revoke a certificate',
      params: IdParams,
      body: RevokeBody,
      response: { 200: CertificateView },
    },
  }, async (request) => {
    return presentCertificate(ctx, await revokeCertificate(ctx, request.params.id, request.body.reason, request.actor));
  });

  app.post('/certificates/:id/release', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Release a certificate from hold (certificateHold): valid again, off the next CRL', params: IdParams, response: { 200: CertificateView } },
  }, async (request) => {
    return presentCertificate(ctx, await releaseCertificate(ctx, request.params.id, request.actor));
  });
}
