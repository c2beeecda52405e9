// The EST listener (RFC 7030): HTTPS on its own port, because it asks for TLS client
// certificates, which the REST API must not. Client certificates are requested but not
// verified by TLS: manufacturers' birth certificates and fleetpki's own certificates share
// this listener, and the RA's authorisers check each against the right trust anchors.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import Fastify, { type FastifyReply } from 'fastify';
import type { Context } from '../app/context.ts';
import { getProfile } from '../app/profiles.ts';
import { BadRequest } from '../errors.ts';
import { MAX_CSR_BYTES } from '../x509/csr.ts';
import { estErrorHandler, estNotFound, sendEstError } from './errors.ts';
import { auditFrameworkRefusal } from './framework-refusals.ts';
import { EST_BASE } from './labels.ts';
import { cacertsRoutes } from './routes/cacerts.ts';
import { csrattrsRoutes } from './routes/csrattrs.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { serverkeygenRoutes } from './routes/serverkeygen.ts';
import { ensureTlsIdentity, type TlsIdentity } from './tls-identity.ts';
import type { EstApp } from './types.ts';

/** TLS 1.2 with forward-secret AEAD suites only, and TLS 1.3 (RFC 7030 3.3.1 asks for 1.1 or later). */
const TLS: SecureContextOptions = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305',
};

const secureContext = (identity: TlsIdentity): SecureContextOptions => ({ ...TLS, key: identity.keyPem, cert: identity.chainPem });

/** The identity is checked this often (and at its renewal time if sooner), so a running server renews itself. */
const RENEWAL_CHECK_MS = 3600_000;

/** A base64 CSR of the largest size parseCsr accepts, with line breaks. */
const BODY_LIMIT = Math.ceil((MAX_CSR_BYTES * 4) / 3) * 2;

function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
}

function buildEst(ctx: Context, identity: TlsIdentity): EstApp {
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'est' }),
    https: { ...secureContext(identity), requestCert: true, rejectUnauthorized: false },
    bodyLimit: Math.min(ctx.config.bodyLimitBytes, BODY_LIMIT),
    genReqId: requestId,
    return503OnClosing: true,
    // A URL Fastify cannot route (a broken %-escape) names no operation: answered in EST's
    // terms like any unknown path, and like one not audited.
    frameworkErrors: (error, _request, reply) => sendEstError(reply as unknown as FastifyReply, 400, `the URL is not valid (${error.message}); operations are /.well-known/est/[<label>/]<operation>`),
  }) as unknown as EstApp;
  // Only PKCS#10 bodies: JSON or form posts are a client mistake, answered 415 with the right type named.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/pkcs10', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(estErrorHandler((request, status, message) => auditFrameworkRefusal(ctx, request, status, message)));
  app.setNotFoundHandler(estNotFound);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  cacertsRoutes(app, ctx);
  csrattrsRoutes(app, ctx);
  enrollRoutes(app, ctx);
  serverkeygenRoutes(app, ctx);
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: `${EST_BASE}/*`,
    handler: (request, reply) => estNotFound(request, reply),
  });
  return app;
}

export interface EstServer {
  url: string;
  identity(): TlsIdentity;
  /** Re-checks the TLS identity now and installs a renewed one (the timer does this on its own). */
  renew(now?: Date): Promise<TlsIdentity>;
  close(): Promise<void>;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `https://${host}:${address.port}${EST_BASE}`;
}

/** A mistyped est.defaultProfile would refuse every unlabelled IDevID enrolment; say so at start instead. */
async function checkDefaultProfile(ctx: Context): Promise<void> {
  const name = ctx.config.est.defaultProfile;
  if (name) await getProfile(ctx, name).catch(() => Promise.reject(new BadRequest(`est.defaultProfile names ${name}, which is not a profile (fleetpki profile list)`)));
}

export async function startEstServer(ctx: Context): Promise<EstServer> {
  await checkDefaultProfile(ctx);
  let identity = await ensureTlsIdentity(ctx);
  const app = buildEst(ctx, identity);
  await app.listen({ host: ctx.config.est.host, port: ctx.config.est.port });
  const url = urlOf(app.server.address() as AddressInfo);
  ctx.log.info({ url, certificate: identity.certificate.serial_hex }, 'fleetpki EST listening');
  const renew = async (now = new Date()) => {
    const next = await ensureTlsIdentity(ctx, now);
    if (next.certificate.id !== identity.certificate.id) {
      app.server.setSecureContext(secureContext(next));
      ctx.log.info({ certificate: next.certificate.serial_hex, notAfter: next.certificate.not_after }, 'EST server TLS certificate renewed');
    }
    identity = next;
    return next;
  };
  let timer: NodeJS.Timeout;
  const schedule = () => {
    const due = Math.max(1000, Math.min(RENEWAL_CHECK_MS, Date.parse(identity.certificate.renew_after) - Date.now()));
    timer = setTimeout(() => {
      renew()
        .catch((error) => ctx.log.error({ err: error }, 'EST server TLS certificate renewal failed; the current one stays in use'))
        .finally(schedule);
    }, due).unref();
  };
  schedule();
  let closing: Promise<void> | undefined;
  return {
    url,
    identity: () => identity,
    renew,
    close: () => (closing ??= (clearTimeout(timer), app.close())),
  };
}

