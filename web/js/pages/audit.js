// The audit log, newest first: every decision fleetpki made, who asked, and the outcome.
// Filters and the "before" cursor are the API's (GET /audit); "Verify chain" walks the hash
// chain on the server (GET /audit/verify).
import { api, query } from '../api.js';
import { badge } from '../components/badge.js';
import { dayStart, filterBar } from '../components/filters.js';
import { pager } from '../components/pager.js';
import { table } from '../components/table.js';
import { h } from '../dom.js';
import { count, dateTime, short } from '../format.js';
import { link } from '../router.js';

const PAGE_SIZE = 50;

/** device:<id> and certificate:<id> targets link to their pages. @param {string | null} target */
export function auditTarget(target) {
  if (!target) return null;
  const [kind, ...rest] = target.split(':');
  const id = rest.join(':');
  if (kind === 'device') return h('a', { href: link(`/devices/${encodeURIComponent(id)}`), title: target }, `device:${short(id)}`);
  if (kind === 'certificate') return h('a', { href: link(`/certificates/${encodeURIComponent(id)}`), title: target }, `certificate:${short(id)}`);
  // Other targets (discovery-run:<id>, user:<name>, job:<name>) with long ids shortened the same way.
  return id.length > 20 ? h('span', { title: target }, `${kind}:${short(id)}`) : target;
}

/** @param {Record<string, unknown>} details */
function detailsCell(details) {
  const entries = Object.entries(details).filter(([, v]) => v !== null && v !== undefined);
  if (entries.length === 0) return null;
  return h('span', { class: 'details' }, entries.map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · '));
}

/** @param {any[]} events */
export function auditTable(events) {
  return table([
    { title: '#', cell: (/** @type {any} */ e) => e.seq, class: 'num' },
    { title: 'When', cell: (e) => dateTime(e.at), class: 'nowrap' },
    { title: 'Actor', cell: (e) => e.actor },
    { title: 'Action', cell: (e) => e.action },
    { title: 'Target', cell: (e) => auditTarget(e.target) },
    { title: 'Outcome', cell: (e) => badge(e.outcome) },
    { title: 'Details', cell: (e) => detailsCell(e.details) },
  ], events, { empty: 'No events.', testid: 'audit' });
}

function verifier() {
  const result = h('span', { class: 'verify-result', 'data-testid': 'verify-result' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Verify chain');
  button.addEventListener('click', async () => {
    result.textContent = 'Checking every event…';
    try {
      const check = await api('GET', '/audit/verify');
      result.textContent = check.ok ? `Intact: ${count(check.events)} events, every link checks.` : `BROKEN: ${check.problems.length} problem(s), first at event ${check.problems[0].seq}: ${check.problems[0].problem}`;
      result.className = `verify-result ${check.ok ? 'good' : 'bad'}`;
    } catch (error) {
      result.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  return h('div', { class: 'verify' }, button, result);
}

/** @param {import('../main.js').View} view */
export async function render({ route }) {
  const q = route.query;
  const page = await api('GET', `/audit${query({
    action: q.get('action'),
    actor: q.get('actor'),
    target: q.get('target'),
    outcome: q.get('outcome'),
    since: dayStart(q.get('since')),
    until: dayStart(q.get('until')),
    before: q.get('before'),
    limit: PAGE_SIZE,
  })}`);
  return h('div', null,
    h('div', { class: 'title-row' }, h('h1', null, 'Audit log'), verifier()),
    filterBar(route, [
      { name: 'action', label: 'Action', placeholder: 'certificate.revoke' },
      { name: 'actor', label: 'Actor', placeholder: 'user:alice' },
      { name: 'target', label: 'Target', placeholder: 'device:<id>', wide: true },
      { name: 'outcome', label: 'Outcome', options: ['success', 'refused', 'error'] },
      { name: 'since', label: 'Since', type: 'date' },
      { name: 'until', label: 'Until', type: 'date' },
    ]),
    auditTable(page.items),
    pager(route, page.nextCursor, 'before'));
}
