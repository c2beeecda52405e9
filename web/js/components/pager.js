// Keyset paging, as the API pages: "next" carries the cursor the server returned; going back
// is the browser's Back button (each page is its own address).
import { h } from '../dom.js';
import { link } from '../router.js';

/**
 * @param {import('../router.js').Route} route
 * @param {string | number | null} nextCursor
 * @param {string} [param] the API's cursor parameter: "after", or "before" for the audit log
 */
export function pager(route, nextCursor, param = 'after') {
  const here = new URLSearchParams(route.query);
  const onFirst = !here.has(param);
  here.delete(param);
  const first = onFirst ? null : h('a', { href: link(route.path, here), class: 'button secondary' }, '⟨ First page');
  let next = null;
  if (nextCursor !== null) {
    const after = new URLSearchParams(here);
    after.set(param, String(nextCursor));
    next = h('a', { href: link(route.path, after), class: 'button secondary', 'data-testid': 'next-page' }, 'Next page ⟩');
  }
  if (!first && !next) return null;
  return h('nav', { class: 'pager', 'aria-label': 'pages' }, first, next);
}
