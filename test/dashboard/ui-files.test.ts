// The dashboard is served by fleetpki itself, from web/, with everything it needs: no
// external URL in any file, a strict Content-Security-Policy, and no way out of web/.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openApi, type ApiHarness } from '../api/harness.ts';
import { ROOT } from '../cli/run.ts';

const WEB = join(ROOT, 'web');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('dashboard files', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openApi();
  });
  after(() => api.close());

  it('/ and /ui lead to /ui/, which serves the page with a strict CSP and no token', async () => {
    const root = await api.call('GET', '/', { token: null });
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/ui/');
    assert.equal((await api.call('GET', '/ui', { token: null })).headers.location, '/ui/');
    const page = await api.call('GET', '/ui/', { token: null });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<script type="module" src="\/ui\/js\/main.js">/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), directive);
    assert.ok(!csp.includes('unsafe'), 'no unsafe-inline, no unsafe-eval');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
  });

  it('scripts and styles come with their types, and an unchanged file is answered 304', async () => {
    const script = await api.call('GET', '/ui/js/main.js', { token: null });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(String((await api.call('GET', '/ui/style.css', { token: null })).headers['content-type']), /^text\/css/);
    const again = await api.call('GET', '/ui/js/main.js', { token: null, headers: { 'if-none-match': String(script.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  it('only files of web/ are served: no traversal, no unknown names', async () => {
    for (const url of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/..%2fsrc%2fapi%2fserver.ts', '/ui/js/../../README.md', '/ui/nothing.js']) {
      const response = await api.call('GET', url, { token: null });
      assert.ok(response.statusCode === 404 || response.statusCode === 400, `${url}: ${response.statusCode}`);
      assert.ok(!response.body.includes('"name": "fleetpki"') && !response.body.includes('buildApi'), url);
    }
  });

  it('no file of the dashboard loads anything from another origin (it works offline)', () => {
    for (const file of files(WEB)) {
      const text = readFileSync(file, 'utf8');
      const urls = (text.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"`)]*/gi) ?? []).filter((u) => !u.startsWith('http://www.w3.org/2000/svg'));
      assert.deepEqual(urls, [], `${file} refers to another origin`);
      assert.doesNotMatch(text, /\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write/, `${file}: values reach the page as text, never as HTML`);
    }
  });

  it('the OpenAPI document leaves the dashboard files out and lists the new endpoints', async () => {
    const doc = (await api.call('GET', '/api/v1/openapi.json', { token: null })).json();
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/ui')));
    for (const path of ['/api/v1/session', '/api/v1/stats/summary', '/api/v1/stats/expiry-timeline']) assert.ok(doc.paths[path], path);
    assert.deepEqual(doc.paths['/api/v1/session'].post.security, [], 'signing in needs no token');
  });
});
