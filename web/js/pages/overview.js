// The overview: the fleet at a glance, counted by the server (GET /stats/summary and
// /stats/expiry-timeline aggregate in SQL), the expiry timeline, open alerts and the latest
// audit events.
import { api, query } from '../api.js';
import { badge } from '../components/badge.js';
import { expiryChart } from '../components/chart.js';
import { table } from '../components/table.js';
import { h } from '../dom.js';
import { addDays, count, dateTime } from '../format.js';
import { link } from '../router.js';
import { alertsPanel } from './alerts.js';
import { auditTarget } from './audit.js';

/**
 * @param {string} title
 * @param {number} value
 * @param {string} href
 * @param {string} testid
 * @param {string} [tone]
 * @param {string} [note]
 */
function stat(title, value, href, testid, tone = '', note = '') {
  return h('a', { class: `stat ${tone}`, href, 'data-testid': testid },
    h('span', { class: 'stat-title' }, title),
    h('span', { class: 'stat-value' }, count(value)),
    note ? h('span', { class: 'stat-note' }, note) : null);
}

/** @param {any} summary */
function statCards(summary) {
  const { devices, certificates, validCertificatesExpiring: exp } = summary;
  const now = new Date();
  const before = (/** @type {number} */ days) => link('/certificates', { status: 'valid', expiringAfter: now.toISOString(), expiringBefore: addDays(now, days).toISOString() });
  return h('div', { class: 'overview-grid' },
    h('section', { class: 'panel' },
      h('h3', null, 'Devices'),
      h('div', { class: 'stats' },
        stat('Total', devices.total, link('/devices'), 'devices-total'),
        stat('Active', devices.active, link('/devices', { status: 'active' }), 'devices-active', 'good'),
        stat('Registered', devices.registered, link('/devices', { status: 'registered' }), 'devices-registered'),
        stat('Suspended', devices.suspended, link('/devices', { status: 'suspended' }), 'devices-suspended', devices.suspended ? 'warn' : ''),
        stat('Decommissioned', devices.decommissioned, link('/devices', { status: 'decommissioned' }), 'devices-decommissioned', 'muted'))),
    h('section', { class: 'panel' },
      h('h3', null, 'Certificates'),
      h('div', { class: 'stats' },
        stat('Total', certificates.total, link('/certificates'), 'certificates-total'),
        stat('Valid', certificates.valid, link('/certificates', { status: 'valid' }), 'certificates-valid', 'good'),
        stat('On hold', certificates.on_hold, link('/certificates', { status: 'on_hold' }), 'certificates-on-hold', certificates.on_hold ? 'warn' : ''),
        stat('Revoked', certificates.revoked, link('/certificates', { status: 'revoked' }), 'certificates-revoked', 'muted'))),
    h('section', { class: 'panel wide' },
      h('h3', null, 'Valid certificates by time to expiry'),
      h('div', { class: 'stats' },
        stat('Expired, not renewed', exp.expired, link('/certificates', { status: 'valid', expiringBefore: now.toISOString() }), 'expired', exp.expired ? 'bad' : 'good', 'devices that missed their renewal'),
        stat('Within 7 days', exp.within7Days, before(7), 'within-7', exp.within7Days ? 'bad' : ''),
        stat('Within 30 days', exp.within30Days, before(30), 'within-30', exp.within30Days ? 'warn' : ''),
        stat('Within 90 days', exp.within90Days, before(90), 'within-90'))));
}

/** @param {any} timeline */
function timelinePanel(timeline) {
  const busiest = timeline.items.reduce((a, b) => (b.count > a.count ? b : a), timeline.items[0]);
  const caption = timeline.total === 0
    ? 'No valid certificate expires in the next 90 days.'
    : `${count(timeline.total)} valid certificates expire from now to the end of ${timeline.items[timeline.items.length - 1].date} (UTC); the busiest day is ${busiest.date} with ${count(busiest.count)}. Click a bar to list them.`;
  return h('section', { class: 'panel' },
    h('h3', null, `Expiry timeline, next ${timeline.days} days`),
    h('p', { class: 'caption' }, caption),
    expiryChart(timeline.items),
    h('p', { class: 'legend' },
      h('span', { class: 'key bar-bad' }), 'within 7 days ',
      h('span', { class: 'key bar-warn' }), 'within 30 days ',
      h('span', { class: 'key bar-info' }), 'later'));
}

async function recentActivity() {
  const page = await api('GET', `/audit${query({ limit: 8 })}`);
  return h('section', { class: 'panel' },
    h('h3', null, 'Latest audit events ', h('a', { href: link('/audit'), class: 'more' }, 'all events')),
    table([
      { title: 'When', cell: (/** @type {any} */ e) => dateTime(e.at), class: 'nowrap' },
      { title: 'Actor', cell: (e) => e.actor },
      { title: 'Action', cell: (e) => e.action },
      { title: 'Target', cell: (e) => auditTarget(e.target) },
      { title: 'Outcome', cell: (e) => badge(e.outcome) },
    ], page.items, { empty: 'No events yet.' }));
}

/** @param {import('../main.js').View} view */
export async function render(view) {
  const [summary, timeline, activity, alerts] = await Promise.all([
    api('GET', '/stats/summary'),
    api('GET', '/stats/expiry-timeline?days=90'),
    recentActivity(),
    alertsPanel(view, { limit: 6 }),
  ]);
  return h('div', null,
    h('h1', null, 'Overview'),
    statCards(summary),
    timelinePanel(timeline),
    alerts,
    activity);
}
