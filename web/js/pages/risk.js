// Risk: what to fix first. The reporting module ranks the current certificates (valid or on
// hold, not renewed) in the database (GET /reports/risk): score = weight of the device's
// criticality × points for expiry, failed renewal, orphan and weak key (docs/reporting.md).
// Each row shows the parts of its score, so a person sees why it ranks where it does.
import { api, query } from '../api.js';
import { badge } from '../components/badge.js';
import { pager } from '../components/pager.js';
import { table } from '../components/table.js';
import { unavailable } from '../components/unavailable.js';
import { h } from '../dom.js';
import { date, dateTime, daysUntil, short } from '../format.js';
import { link } from '../router.js';

const PAGE_SIZE = 50;

/** Where a page starts in the ranking. The cursor is opaque, so the address carries it beside. @param {URLSearchParams} q */
function firstRank(q) {
  const from = Number(q.get('from'));
  return q.has('after') && Number.isSafeInteger(from) && from > 0 ? from : 1;
}

/** @param {number} n @param {string} unit */
function plural(n, unit) {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "expires-within-7d" as words; the badge keeps the API's name in data-status. @param {string} reason */
function reasonText(reason) {
  const within = /^expires-within-(\d+)d$/.exec(reason);
  if (within) return `expires within ${plural(Number(within[1]), 'day')}`;
  return reason.replace(/-/g, ' ');
}

/** @param {any} item */
function scoreCell(item) {
  const p = item.points;
  const criticality = item.device ? item.device.criticality : 'no device';
  const parts = `expiry ${p.expiry} + failed renewal ${p.failedRenewal} + orphan ${p.orphan} + weak key ${p.weakKey}`;
  return h('strong', { title: `weight ${p.weight} (${criticality}) × (${parts}) = ${item.score}` }, String(item.score));
}

/** Days left as of the ranking, in words. @param {number} days */
function daysLeftText(days) {
  if (days <= -1) return `expired ${plural(Math.floor(-days), 'day')} ago`;
  if (days < 0) return 'expired less than a day ago';
  if (days < 1) return 'less than a day left';
  return `${plural(Math.floor(days), 'day')} left`;
}

/** @param {any} item @param {number} asOf */
function expiryCell(item, asOf) {
  // From notAfter itself: daysLeft is rounded to a tenth, and 2.96 days would read "3 days left" in the 3-day bucket.
  const days = daysUntil(item.notAfter, asOf);
  const tone = item.status !== 'valid' ? '' : days < 0 ? 'expired' : days < 7 ? 'soon' : days < 30 ? 'near' : '';
  return h('span', { class: `expiry ${tone}`, title: `${item.notAfter} (${item.daysLeft} days as of the ranking)` },
    date(item.notAfter), h('br'), h('small', null, daysLeftText(days)));
}

/** @param {any} item */
function deviceCell(item) {
  const d = item.device;
  if (!d) return h('span', { class: 'details' }, 'no device');
  const outOfService = d.status === 'suspended' || d.status === 'decommissioned';
  return h('span', null,
    h('a', { href: link(`/devices/${encodeURIComponent(d.id)}`), title: `${d.id} (${d.deviceClass})` }, d.serial), ' ',
    badge(d.criticality), outOfService ? ' ' : null, outOfService ? badge(d.status) : null);
}

/** @param {any[]} items @param {number} start @param {number} asOf */
function riskTable(items, start, asOf) {
  const ranks = new Map(items.map((item, i) => [item, start + i]));
  const certificatePage = (/** @type {any} */ c) => link(`/certificates/${encodeURIComponent(c.certificateId)}`);
  return table([
    { title: '#', cell: (/** @type {any} */ c) => String(ranks.get(c)), class: 'num' },
    { title: 'Score', cell: scoreCell },
    { title: 'Why', cell: (c) => h('span', null, ...c.reasons.flatMap((/** @type {string} */ r, /** @type {number} */ i) => [i ? ' ' : null, badge(r, reasonText(r))])) },
    { title: 'Certificate', cell: (c) => h('span', null,
        h('a', { href: certificatePage(c), title: c.serial }, short(c.serial, 16)), h('br'),
        h('span', { class: 'details' }, `${c.profile} · ${c.keyType}`)) },
    { title: 'Subject', cell: (c) => c.subject },
    { title: 'Device', cell: deviceCell, class: 'nowrap' },
    { title: 'Owner', cell: (c) => c.device?.owner ?? null, class: 'nowrap' },
    { title: 'Expires', cell: (c) => expiryCell(c, asOf), class: 'nowrap' },
    { title: 'Status', cell: (c) => badge(c.status) },
  ], items, { empty: 'Nothing at risk now.', rowLink: certificatePage, testid: 'risk' });
}

/** @param {import('../main.js').View} view */
export async function render({ route, session }) {
  const title = h('h1', null, 'Risk: what to fix first');
  if (!session.features.risk) return h('div', null, title, unavailable('The risk report', 'GET /api/v1/reports/risk'));
  const q = route.query;
  const page = await api('GET', `/reports/risk${query({ after: q.get('after'), limit: PAGE_SIZE })}`);
  const start = firstRank(q);
  // The next page's first rank rides in the address beside the cursor; the pager keeps it.
  const next = new URLSearchParams(q);
  next.set('from', String(start + page.items.length));
  return h('div', null,
    title,
    h('p', { class: 'hint', 'data-testid': 'risk-as-of', title: page.asOf },
      `Ranked as of ${dateTime(page.asOf)}. Valid and held certificates not yet renewed, highest score first: the weight of the device's criticality × points for expiry, failed renewal, orphan and weak key (a score's title shows its parts).`),
    riskTable(page.items, start, Date.parse(page.asOf)),
    pager({ ...route, query: next }, page.nextCursor));
}
