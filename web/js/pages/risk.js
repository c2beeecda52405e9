// The risk view: what to fix first. Its ranking comes from the reporting module
// (GET /reports/risk), which this dashboard was written without: it says so rather than guess
// at a report's shape, and names the places that hold what there is to act on meanwhile.
import { unavailable } from '../components/unavailable.js';
import { h } from '../dom.js';
import { link } from '../router.js';

/** @param {import('../main.js').View} view */
export async function render(view) {
  const panel = view.session.features.risk
    ? h('section', { class: 'panel unavailable', 'data-testid': 'unavailable' },
        h('h3', null, 'The risk report: not shown by this version of the dashboard'),
        h('p', null, 'This server serves ', h('code', null, 'GET /api/v1/reports/risk'), ', but this dashboard was built before it and cannot show it yet; the API answers it directly.'))
    : unavailable('The risk report', 'GET /api/v1/reports/risk');
  return h('div', null,
    h('h1', null, 'Risk: what to fix first'),
    panel,
    h('section', { class: 'panel' },
      h('h3', null, 'Meanwhile'),
      h('ul', null,
        h('li', null, h('a', { href: link('/certificates', { status: 'valid', expiringBefore: new Date().toISOString() }) }, 'Valid certificates already past their expiry'), ': devices that missed their renewal.'),
        h('li', null, h('a', { href: link('/alerts') }, 'Active alerts'), ': renewals due or failed, orphans, drift, stale CRLs.'),
        h('li', null, h('a', { href: link('/findings', { status: 'open', severity: 'critical' }) }, 'Critical discovery findings'), ': certificates claiming a fleetpki CA that it never issued.'),
        h('li', null, h('a', { href: link('/devices', { status: 'suspended' }) }, 'Suspended devices'), ': their certificates stay valid until revoked or held.'))));
}
