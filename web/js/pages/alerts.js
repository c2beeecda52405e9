// Lifecycle alerts (GET /alerts, newest first): renewals due or failed, expired
// certificates, orphans, drift between inventory and certificates, stale CRLs. Operators
// acknowledge them (POST /alerts/:id/ack); a condition stays listed until it clears.
import { api, query } from '../api.js';
import { actionButton, canOperate } from '../actions.js';
import { badge } from '../components/badge.js';
import { confirmAction } from '../components/confirm.js';
import { filterBar } from '../components/filters.js';
import { flash } from '../components/notice.js';
import { pager } from '../components/pager.js';
import { table } from '../components/table.js';
import { unavailable } from '../components/unavailable.js';
import { h } from '../dom.js';
import { dateTime, short } from '../format.js';
import { link } from '../router.js';

const PAGE_SIZE = 50;
const KINDS = [
  'certificate.renewal-due', 'certificate.renewal-failed', 'certificate.expired', 'certificate.orphan', 'certificate.orphan-revoked',
  'drift.registered-with-certificate', 'drift.held-on-active-device', 'drift.active-without-certificate', 'crl.stale', 'job.failed',
];

/** certificate:<id>, device:<id> and ca:<name> link to their pages. @param {string} subject */
function subjectLink(subject) {
  const [kind, ...rest] = subject.split(':');
  const id = rest.join(':');
  const pages = /** @type {Record<string, string>} */ ({ certificate: '/certificates', device: '/devices', ca: '/cas' });
  if (!pages[kind]) return subject;
  return h('a', { href: link(`${pages[kind]}/${encodeURIComponent(id)}`), title: subject }, `${kind}:${kind === 'ca' ? id : short(id)}`);
}

/** @param {any} alert @param {() => void} done */
async function acknowledge(alert, done) {
  const values = await confirmAction({
    title: 'Acknowledge this alert?',
    message: `${alert.summary} Acknowledging records that you have seen it; a condition stays on the list until the next pass no longer finds it.`,
    confirm: 'Acknowledge',
    choices: [{ name: 'note', label: 'Note for the audit log (optional)', placeholder: 'e.g. replacement ordered' }],
  });
  if (!values) return;
  try {
    await api('POST', `/alerts/${encodeURIComponent(alert.id)}/ack`, values.note ? { note: values.note } : {});
    flash('Alert acknowledged.');
  } catch (error) {
    flash(error instanceof Error ? error.message : String(error), 'bad');
  }
  done();
}

/** @param {any[]} alerts @param {import('../main.js').View} view @param {boolean} compact */
function alertTable(alerts, view, compact) {
  const operate = canOperate(view.session);
  return table([
    { title: 'Severity', cell: (/** @type {any} */ a) => badge(a.severity) },
    { title: 'Alert', cell: (a) => h('span', null, h('strong', null, a.kind), h('br'), h('span', { class: 'details' }, a.summary)) },
    { title: 'Subject', cell: (a) => subjectLink(a.subject) },
    ...(compact ? [] : [
      { title: 'First seen', cell: (/** @type {any} */ a) => dateTime(a.firstSeen), class: 'nowrap' },
      { title: 'Last seen', cell: (/** @type {any} */ a) => dateTime(a.lastSeen), class: 'nowrap' },
    ]),
    { title: 'State', cell: (a) => h('span', { title: a.acknowledgedBy ? `by ${a.acknowledgedBy}` : '' }, badge(a.state)) },
    { title: '', cell: (a) => (operate && a.state === 'open' ? actionButton('Acknowledge', () => acknowledge(a, view.refresh), 'secondary small') : ''), class: 'actions-cell' },
  ], alerts, { empty: 'No active alert.', testid: 'alerts' });
}

/** The overview's panel: the newest active alerts. @param {import('../main.js').View} view @param {{ limit: number }} options */
export async function alertsPanel(view, { limit }) {
  if (!view.session.features.alerts) return unavailable('Lifecycle alerts', 'GET /api/v1/alerts');
  const page = await api('GET', `/alerts${query({ state: 'active', limit })}`);
  return h('section', { class: 'panel' },
    h('h3', null, 'Active alerts ', h('a', { href: link('/alerts'), class: 'more' }, 'all alerts')),
    alertTable(page.items, view, true));
}

/** @param {import('../main.js').View} view */
export async function render(view) {
  if (!view.session.features.alerts) return h('div', null, h('h1', null, 'Alerts'), unavailable('Lifecycle alerts', 'GET /api/v1/alerts'));
  const q = view.route.query;
  if (!q.has('state')) q.set('state', 'active'); // what needs attention, unless asked otherwise
  const page = await api('GET', `/alerts${query({ state: q.get('state'), severity: q.get('severity'), kind: q.get('kind'), before: q.get('before'), limit: PAGE_SIZE })}`);
  return h('div', null,
    h('h1', null, 'Alerts'),
    filterBar(view.route, [
      { name: 'state', label: 'State', options: ['active', 'open', 'acknowledged', 'resolved'], noAny: true },
      { name: 'severity', label: 'Severity', options: ['critical', 'warning', 'info'] },
      { name: 'kind', label: 'Kind', options: KINDS },
    ]),
    alertTable(page.items, view, false),
    pager(view.route, page.nextCursor, 'before'));
}
