// `fleetpki serve`: the long-running service. Initialises on first start (same report as
// `init`), serves the REST API and the public CA endpoints, and on SIGTERM/SIGINT drains
// in-flight requests before closing the store and exiting 0.

import type { Command } from 'commander';
import type { OcspResponder } from '../../ocsp/responder.ts';
import { closeContext, createLogger, openContext, type Context } from '../../app/context.ts';
import { LifecycleScheduler } from '../../lifecycle/scheduler.ts';
import { lifecycleFor } from '../../lifecycle/service.ts';
import { CrlScheduler } from '../../revocation/crl-scheduler.ts';
import { createOutput, type Output } from '../output.ts';
import { cliActor, globalsOf, loadCliConfig } from '../session.ts';
import { adminTokenPath, humanInit, runInit } from './init.ts';

export interface ServedUrls {
  url: string;
  dashboard: string;
  api: string;
  openapi: string;
  healthz: string;
  metrics: string;
  caIssuers: string;
  crls: string;
  ocsp: string;
  /** https://.../.well-known/est, or null when est.enabled is false. */
  est: string | null;
  adminTokenFile: string | null;
}

function servedUrls(url: string, ctx: Context, est: string | null): ServedUrls {
  return {
    url,
    dashboard: `${url}/ui/`,
    api: `${url}/api/v1`,
    openapi: `${url}/api/v1/openapi.json`,
    healthz: `${url}/healthz`,
    metrics: `${url}/metrics`,
    caIssuers: `${url}/ca/`,
    crls: `${url}/crl/`,
    ocsp: `${url}/ocsp`,
    est,
    adminTokenFile: adminTokenPath(ctx.config.dataDir),
  };
}

function humanUrls(u: ServedUrls, publicUrl: string): string {
  return [
    `fleetpki listening on ${u.url}`,
    `  dashboard:   ${u.dashboard}`,
    `  REST API:    ${u.api}`,
    `  OpenAPI:     ${u.openapi}`,
    `  health:      ${u.healthz}`,
    `  metrics:     ${u.metrics}`,
    `  CA certs:    ${u.caIssuers}<name>.cer`,
    `  CRLs:        ${u.crls}<name>.crl, ${u.crls}<name>/<partition>.crl`,
    `  OCSP:        ${u.ocsp}`,
    ...(u.est ? [`  EST:         ${u.est}`] : []),
    `  public URL in certificates: ${publicUrl}`,
    `  admin token file: ${u.adminTokenFile ?? '(none: use `fleetpki token create`)'}`,
  ].join('\n');
}

/**
 * Resolves with the signal's name the first time SIGTERM or SIGINT arrives. The handlers are
 * then removed, so a second signal during a slow drain kills the process the default way.
 */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * The startup banner goes to stderr: in a service, stdout carries the structured JSON log
 * (pino) that log shippers parse. With --json the banner is one JSON object instead.
 */
function announce(out: Output, urls: ServedUrls, publicUrl: string): void {
  out.note(out.json ? JSON.stringify({ listening: urls }) : humanUrls(urls, publicUrl));
  // The default public URL is derived from --listen; with port 0 it names no real port, and
  // certificates issued now would carry unreachable CRL and caIssuers URLs.
  if (/:0(\/|$)/.test(publicUrl)) out.note(`warning: the public URL ${publicUrl} has port 0; set --public-url (or FLEETPKI_PUBLIC_URL) to where relying parties reach this server`);
}

/** Loaded only when enabled; a failure to start it (port taken, names the profile refuses) stops `serve`. */
async function startEst(ctx: Context): Promise<{ url: string; close(): Promise<void> } | null> {
  if (!ctx.config.est.enabled) return null;
  const { startEstServer } = await import('../../est/server.ts');
  return startEstServer(ctx);
}

/** The OCSP responder and its background refresher: signers, revocations made by other processes, re-signing. */
async function startOcsp(ctx: Context): Promise<{ responder: OcspResponder; close(): Promise<void> }> {
  const { OcspResponder } = await import('../../ocsp/responder.ts');
  const { startOcspRefresher } = await import('../../ocsp/refresher.ts');
  const responder = new OcspResponder(ctx);
  const refresher = startOcspRefresher(responder, { db: ctx.db, log: ctx.log, intervalMs: ctx.config.ocsp.revocationPollSeconds * 1000 });
  return {
    responder,
    async close() {
      await refresher.close();
      await responder.close();
    },
  };
}

/**
 * The lifecycle jobs (docs/lifecycle.md), leased so several instances on one database share
 * them. Started before the listener: a webhook secret that cannot be read stops `serve` here.
 */
function startLifecycle(ctx: Context): LifecycleScheduler | null {
  if (!ctx.config.lifecycle.enabled) return null;
  const lifecycle = lifecycleFor(ctx);
  const scheduler = new LifecycleScheduler(lifecycle);
  scheduler.start();
  ctx.log.info({ instance: lifecycle.instanceId, jobs: [...lifecycle.jobs.keys()] }, 'lifecycle scheduler started');
  return scheduler;
}

async function serve(cmd: Command): Promise<void> {
  const config = loadCliConfig(cmd);
  const out = createOutput(Boolean(globalsOf(cmd).json));
  const ctx = await openContext(config, { log: createLogger(config) });
  const stopping = shutdownSignal();
  const crls = new CrlScheduler(ctx);
  let ocsp: Awaited<ReturnType<typeof startOcsp>> | undefined;
  let lifecycle: LifecycleScheduler | null = null;
  try {
    const report = await runInit(ctx, cliActor());
    // Same words as `init` on first start; afterwards nothing was created, so stay quiet.
    if (report.createdCas.length || report.createdProfiles.length || report.adminTokenFile) out.note(out.json ? JSON.stringify({ init: report }) : humanInit(report));
    const { startServer } = await import('../../api/server.ts'); // loaded only here: other commands need no web framework
    await crls.start();
    lifecycle = startLifecycle(ctx);
    ocsp = await startOcsp(ctx);
    const server = await startServer(ctx, { ocsp: ocsp.responder });
    const est = await startEst(ctx).catch(async (error) => {
      await server.close(); // or the API would keep the process alive
      throw error;
    });
    announce(out, servedUrls(server.url, ctx, est?.url ?? null), config.publicUrl);
    const signal = await stopping;
    ctx.log.info({ signal }, 'shutting down: draining in-flight requests');
    await Promise.all([server.close(), est?.close()]);
    out.note(out.json ? JSON.stringify({ stopped: signal }) : `stopped (${signal})`);
  } finally {
    await lifecycle?.stop();
    await ocsp?.close();
    await crls.stop();
    await closeContext(ctx);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .summary('run the service: REST API, OpenAPI, health, metrics, CA certificates, CRLs, OCSP')
    .description(
      'Run fleetpki as a service. On first start the data directory is initialised as by `init`.\n' +
        'Serves the REST API (/api/v1), its OpenAPI document, /healthz, /metrics and the CA\n' +
        'certificates and CRLs relying parties fetch (/ca/<name>.cer, /crl/<name>.crl); keeps the CRLs\n' +
        'current and writes them to crl.publishDir (docs/revocation.md); answers OCSP at /ocsp with\n' +
        'pre-signed responses it refreshes and replaces on revocation; with est.enabled (the default), EST\n' +
        '(RFC 7030) on its own HTTPS listener (docs/est.md). The URLs are printed on stderr;\n' +
        'structured JSON logs go to stdout. SIGTERM or SIGINT drains in-flight requests, then exits 0.\n' +
        'Use --listen 127.0.0.1:0 to pick a free port (the printed URL shows which).',
    )
    .option('--est-listen <host:port>', 'address of the EST listener (env FLEETPKI_EST_LISTEN, default 127.0.0.1:8443; port 0 picks a free one)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki serve --data-dir /var/lib/fleetpki --listen 0.0.0.0:7080 --public-url https://pki.example.com\n  $ FLEETPKI_CONFIG=/etc/fleetpki/fleetpki.yaml fleetpki serve')
    .action((_o, cmd: Command) => serve(cmd));
}
