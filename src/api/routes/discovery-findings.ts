// /api/v1/discovery/certificates and /findings: what discovery found and where, and the
// resolution of each finding (adopt, assign an owner, replace, dismiss), audited.

import Type from 'typebox';
import { resolveFinding } from '../../discovery/resolve.ts';
import { presentDiscovered, presentFindings } from '../../discovery/views.ts';
import { NotFound } from '../../errors.ts';
import { getDiscovered, searchDiscovered } from '../../store/repos/discovered-certificates.ts';
import { getFinding, searchFindings } from '../../store/repos/discovery-findings.ts';
import { AfterCursor, IdParams, Limit, Page } from '../schemas/common.ts';
import { DiscoveredView, FindingKind, FindingStatus, FindingView, ResolveBody, Severity, Trust } from '../schemas/discovery.ts';
import type { Api, ApiDeps } from '../types.ts';

const Hex = (description: string) => Type.String({ pattern: '^[0-9A-Fa-f]{64}$', description });
const Id = Type.String({ minLength: 1, maxLength: 64 });

const CertificateQuery = Type.Object({
  trust: Type.Optional(Trust),
  fingerprint: Type.Optional(Hex('SHA-256 of the certificate DER')),
  spki: Type.Optional(Hex('SHA-256 of the SubjectPublicKeyInfo DER')),
  adoptedDeviceId: Type.Optional(Id),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive substring of subject, issuer or SANs' })),
  limit: Limit,
  after: Type.Optional(AfterCursor),
});

const FindingQuery = Type.Object({
  kind: Type.Optional(FindingKind),
  status: Type.Optional(FindingStatus),
  severity: Type.Optional(Severity),
  certificateId: Type.Optional(Id),
  runId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Findings raised or seen again by this scan or import' })),
  limit: Limit,
  after: Type.Optional(AfterCursor),
});

export function discoveryFindingRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['discovery'];

  app.get('/discovery/certificates', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Discovered certificates, each with every place it was seen', querystring: CertificateQuery, response: { 200: Page(DiscoveredView) } },
  }, async (request) => {
    const { limit, after, ...filter } = request.query;
    const page = await searchDiscovered(ctx.db, filter, { limit, after });
    return { items: await presentDiscovered(ctx.db, page.items), nextCursor: page.nextCursor };
  });

  app.get('/discovery/certificates/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One discovered certificate', params: IdParams, response: { 200: DiscoveredView } },
  }, async (request) => {
    const row = await getDiscovered(ctx.db, request.params.id);
    if (!row) throw new NotFound(`no discovered certificate with id ${request.params.id}`);
    return (await presentDiscovered(ctx.db, [row]))[0];
  });

  app.get('/discovery/findings', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Findings, oldest first, each with its certificate and where it was seen', querystring: FindingQuery, response: { 200: Page(FindingView) } },
  }, async (request) => {
    const { limit, after, ...filter } = request.query;
    const page = await searchFindings(ctx.db, filter, { limit, after });
    return { items: await presentFindings(ctx.db, page.items), nextCursor: page.nextCursor };
  });

  app.get('/discovery/findings/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'One finding', params: IdParams, response: { 200: FindingView } },
  }, async (request) => {
    const row = await getFinding(ctx.db, request.params.id);
    if (!row) throw new NotFound(`no discovery finding with id ${request.params.id}`);
    return (await presentFindings(ctx.db, [row]))[0];
  });

  app.post('/discovery/findings/:id/resolve', {
    config: { permission: 'operate' },
    schema: { tags, summary: 'Resolve a finding: adopt, assign-owner, replace or dismiss (audited)', params: IdParams, body: ResolveBody, response: { 200: FindingView } },
  }, async (request) => {
    const { finding } = await resolveFinding(ctx, request.params.id, request.body, request.actor);
    return (await presentFindings(ctx.db, [finding]))[0];
  });
}
