// Discovery findings (GET /discovery/findings): certificates found on the network or in
// files that need someone's attention, most severe first in the filter's eyes, and their
// resolution (POST /discovery/findings/:id/resolve) for operators.
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
import { date, dateTime, relative } from '../format.js';

const PAGE_SIZE = 50;

const KINDS = ['unauthorised', 'expired', 'weak-key', 'shared-key', 'shared-certificate', 'weak-signature', 'self-signed', 'unknown-ca', 'expiring', 'not-in-inventory', 'non-standard-key'];

/** What each resolution needs, in the words the API uses (ResolveBody). @param {Record<string, string>} v */
function resolveBody(v) {
  if (v.action === 'dismiss') return { action: 'dismiss', reason: v.text || 'dismissed from the dashboard' };
  if (v.action === 'assign-owner') return { action: 'assign-owner', owner: v.owner, ...(v.text ? { note: v.text } : {}) };
  if (v.action === 'adopt') return { action: 'adopt', deviceId: v.deviceId, ...(v.text ? { note: v.text } : {}) };
  return { action: v.action, ...(v.text ? { note: v.text } : {}) };
}

/** @param {any} finding @param {() => void} done */
async function resolve(finding, done) {
  const values = await confirmAction({
    title: 'Resolve this finding?',
    message: `${finding.summary} The resolution is recorded in the audit log under your name.`,
    confirm: 'Resolve finding',
    choices: [
      { name: 'action', label: 'Resolution', options: [['assign-owner', 'assign an owner'], ['replace', 'mark for replacement'], ['adopt', 'adopt into a device'], ['dismiss', 'dismiss: needs no action']], value: 'assign-owner' },
      { name: 'owner', label: 'Owner (assign an owner)', placeholder: 'team or person' },
      { name: 'deviceId', label: 'Device id (adopt)', placeholder: 'id of an existing device' },
      { name: 'text', label: 'Reason (dismiss) or note', placeholder: 'why' },
    ],
  });
  if (!values) return;
  try {
    await api('POST', `/discovery/findings/${encodeURIComponent(finding.id)}/resolve`, resolveBody(values));
    flash(`Finding resolved (${values.action}).`);
  } catch (error) {
    flash(error instanceof Error ? error.message : String(error), 'bad');
  }
  done();
}

/** @param {any} c the discovered certificate */
function where(c) {
  const places = c.seenAt.map((/** @type {any} */ s) => s.location);
  return h('span', { title: places.join('\n') }, places.slice(0, 2).join(', '), places.length > 2 ? ` +${places.length - 2}` : '');
}

/** @param {import('../main.js').View} view */
export async function render(view) {
  if (!view.session.features.findings) return h('div', null, h('h1', null, 'Discovery findings'), unavailable('Discovery findings', 'GET /api/v1/discovery/findings'));
  const q = view.route.query;
  if (!q.has('status')) q.set('status', 'open'); // what needs attention, unless asked otherwise
  const status = q.get('status');
  const page = await api('GET', `/discovery/findings${query({ status, severity: q.get('severity'), kind: q.get('kind'), after: q.get('after'), limit: PAGE_SIZE })}`);
  const operate = canOperate(view.session);
  return h('div', null,
    h('h1', null, 'Discovery findings'),
    filterBar(view.route, [
      { name: 'status', label: 'Status', options: ['open', 'resolved', 'dismissed'], noAny: true },
      { name: 'severity', label: 'Severity', options: ['critical', 'high', 'medium', 'low'] },
      { name: 'kind', label: 'Kind', options: KINDS },
    ]),
    table([
      { title: 'Severity', cell: (/** @type {any} */ f) => badge(f.severity) },
      { title: 'Kind', cell: (f) => f.kind, class: 'nowrap' },
      { title: 'Summary', cell: (f) => f.summary },
      { title: 'Certificate', cell: (f) => h('span', { title: f.certificate.issuer }, f.certificate.subject || '(empty subject)') },
      { title: 'Expires', cell: (f) => h('span', { title: relative(f.certificate.notAfter) }, date(f.certificate.notAfter)), class: 'nowrap' },
      { title: 'Seen at', cell: (f) => where(f.certificate) },
      { title: 'Last seen', cell: (f) => dateTime(f.lastSeenAt), class: 'nowrap' },
      { title: 'Status', cell: (f) => h('span', { title: f.resolvedBy ?? '' }, badge(f.status), f.resolution ? ` ${f.resolution}` : '') },
      { title: '', cell: (f) => (operate && f.status === 'open' ? actionButton('Resolve', () => resolve(f, view.refresh), 'secondary small') : null), class: 'actions-cell' },
    ], page.items, { empty: status === 'open' ? 'No open finding: nothing discovered needs attention.' : 'No finding matches these filters.', testid: 'findings' }),
    pager(view.route, page.nextCursor));
}
