// What a page shows when this build of fleetpki does not serve the API it needs (a module
// that was not part of the build): a plain explanation instead of a failing request.
import { h } from '../dom.js';

/** @param {string} what @param {string} endpoint */
export function unavailable(what, endpoint) {
  return h(
    'section',
    { class: 'panel unavailable', 'data-testid': 'unavailable' },
    h('h3', null, `${what}: not available in this build`),
    h('p', null, 'This fleetpki server does not serve ', h('code', null, endpoint), ', so there is nothing to show here yet. The rest of the dashboard works as usual.'),
  );
}
