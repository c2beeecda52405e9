// Hash routes (#/devices/<id>?tab=x): the server serves one page, /ui/, and every view is
// bookmarkable, with its filters and page cursor in the address.

/** @typedef {{ path: string, params: Record<string, string>, query: URLSearchParams }} Route */

/**
 * @param {string} pattern like "/devices/:id"
 * @param {string} path
 * @returns {Record<string, string> | null}
 */
function match(pattern, path) {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  /** @type {Record<string, string>} */
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

/**
 * @template T
 * @param {Array<[string, T]>} table
 * @param {string} hash location.hash
 * @returns {{ handler: T | null, route: Route }}
 */
export function resolve(table, hash) {
  const raw = hash.replace(/^#/, '') || '/overview';
  const [path, search = ''] = raw.split('?');
  const query = new URLSearchParams(search);
  for (const [pattern, handler] of table) {
    const params = match(pattern, path);
    if (params) return { handler, route: { path, params, query } };
  }
  return { handler: null, route: { path, params: {}, query } };
}

/**
 * "#/certificates?status=valid" from a path and the set values.
 * @param {string} path
 * @param {Record<string, string | null | undefined> | URLSearchParams} [params]
 */
export function link(path, params = {}) {
  const search = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  for (const [key, value] of entries) if (value !== undefined && value !== null && value !== '') search.set(key, value);
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}
