// The web dashboard: the files in web/ served by the fleetpki process itself, so it works
// without network access and with no build step. The files are listed once at start and
// only those are served: no request path ever reaches the file system.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors.ts';
import type { Api } from '../types.ts';

export const UI_PREFIX = '/ui/';
const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Everything comes from this origin; no inline script or style, so an injected string in a
 * device name cannot run even if a page forgot to escape it (the pages use textContent).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface UiFile {
  body: Buffer;
  type: string;
  etag: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** URL path under /ui/ -> file; files of other types (notes, tests) are not served. */
export function loadUiFiles(dir = WEB_DIR): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  for (const path of walk(dir)) {
    const type = TYPES[extname(path)];
    if (!type) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(relative(dir, path).split(sep).join('/'), { body, type, etag });
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: UiFile): FastifyReply {
  reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // Revalidate every time: an upgraded fleetpki must never run yesterday's script.
    .header('cache-control', 'no-cache')
    .header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

export function uiRoutes(app: Api): void {
  const files = loadUiFiles();
  const index = files.get('index.html');
  if (!index) throw new Error(`the dashboard is missing: no index.html in ${WEB_DIR}`);
  const schema = { hide: true };

  app.get('/', { schema }, async (_request, reply) => reply.redirect(UI_PREFIX));
  app.get('/ui', { schema }, async (_request, reply) => reply.redirect(UI_PREFIX, 301));
  app.get(UI_PREFIX, { schema }, async (request, reply) => send(request, reply, index));
  app.get(`${UI_PREFIX}*`, { schema }, async (request, reply) => {
    const file = files.get((request.params as { '*': string })['*']);
    if (!file) return sendError(reply, { status: 404, code: 'not_found', message: `no dashboard file ${request.url.split('?')[0]}` });
    return send(request, reply, file);
  });
}
