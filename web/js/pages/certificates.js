// Certificates: filters by state, issuer, profile, device, name and expiry run on the server
// (GET /certificates), a page at a time with the keyset cursor.
import { api, query } from '../api.js';
import { badge } from '../components/badge.js';
import { dayStart, filterBar } from '../components/filters.js';
import { pager } from '../components/pager.js';
import { table } from '../components/table.js';
import { h } from '../dom.js';
import { date, daysUntil, relative, short } from '../format.js';
import { link } from '../router.js';

const PAGE_SIZE = 50;

/** @param {any} cert */
export function expiryCell(cert) {
  const days = daysUntil(cert.notAfter);
  const tone = cert.status !== 'valid' ? '' : days < 0 ? 'expired' : days < 7 ? 'soon' : days < 30 ? 'near' : '';
  return h('span', { class: `expiry ${tone}`, title: cert.notAfter }, date(cert.notAfter), h('small', null, ` ${relative(cert.notAfter)}`));
}

/** @param {import('../main.js').View} view */
export async function render({ route }) {
  const q = route.query;
  const [page, cas, profiles] = await Promise.all([
    api('GET', `/certificates${query({
      q: q.get('q'),
      serial: q.get('serial'),
      status: q.get('status'),
      issuer: q.get('issuer'),
      profile: q.get('profile'),
      deviceId: q.get('deviceId'),
      expiringAfter: dayStart(q.get('expiringAfter')),
      expiringBefore: dayStart(q.get('expiringBefore')),
      after: q.get('after'),
      limit: PAGE_SIZE,
    })}`),
    api('GET', '/cas'),
    api('GET', '/profiles'),
  ]);
  return h('div', null,
    h('h1', null, 'Certificates'),
    filterBar(route, [
      { name: 'q', label: 'Subject or SAN', placeholder: 'part of a name', wide: true },
      { name: 'serial', label: 'Serial (hex)' },
      { name: 'status', label: 'Status', options: ['valid', 'on_hold', 'revoked'] },
      { name: 'issuer', label: 'Issuing CA', options: cas.items.filter((/** @type {any} */ c) => c.kind === 'issuing').map((/** @type {any} */ c) => c.name) },
      { name: 'profile', label: 'Profile', options: profiles.items.map((/** @type {any} */ p) => p.name) },
      { name: 'deviceId', label: 'Device id' },
      { name: 'expiringAfter', label: 'Expires from', type: 'date' },
      { name: 'expiringBefore', label: 'Expires before', type: 'date' },
    ]),
    table([
      { title: 'Serial', cell: (/** @type {any} */ c) => h('a', { href: link(`/certificates/${encodeURIComponent(c.id)}`), title: c.serial }, short(c.serial, 16)) },
      { title: 'Subject', cell: (c) => c.subject },
      { title: 'Device', cell: (c) => (c.deviceId ? h('a', { href: link(`/devices/${encodeURIComponent(c.deviceId)}`), title: c.deviceId }, short(c.deviceId)) : null) },
      { title: 'Profile', cell: (c) => c.profile },
      { title: 'Issuer', cell: (c) => c.issuer, class: 'nowrap' },
      { title: 'Expires', cell: expiryCell, class: 'nowrap' },
      { title: 'Status', cell: (c) => badge(c.status) },
    ], page.items, { empty: 'No certificate matches these filters.', rowLink: (c) => link(`/certificates/${encodeURIComponent(c.id)}`), testid: 'certificates' }),
    pager(route, page.nextCursor));
}
