// One device: its record and state, the actions its state allows, every certificate it was
// given (newest first) and the audit events about it and its certificates.
import { api, query } from '../api.js';
import { canOperate, actionButton, decommissionDevice, reactivateDevice, revokeCertificate, releaseCertificate, suspendDevice } from '../actions.js';
import { badge } from '../components/badge.js';
import { fields, table } from '../components/table.js';
import { h } from '../dom.js';
import { dateTime, relative, short } from '../format.js';
import { link } from '../router.js';
import { auditTable } from './audit.js';

/** Certificates whose events are merged into the device's history; older ones keep their own page. */
const CERTIFICATES_IN_HISTORY = 10;

/** @param {any} device @param {import('../main.js').View} view */
function deviceActions(device, view) {
  if (!canOperate(view.session) || device.status === 'decommissioned') return null;
  return h('div', { class: 'actions', 'data-testid': 'device-actions' },
    device.status === 'suspended'
      ? actionButton('Reactivate', () => reactivateDevice(device, view.refresh))
      : actionButton('Suspend', () => suspendDevice(device, view.refresh)),
    actionButton('Decommission', () => decommissionDevice(device, view.refresh), 'danger'));
}

/** @param {any} cert @param {import('../main.js').View} view */
function certificateActions(cert, view) {
  if (!canOperate(view.session)) return '';
  if (cert.status === 'valid') return actionButton('Revoke', () => revokeCertificate(cert, view.refresh), 'danger small');
  if (cert.status === 'on_hold') {
    return h('span', { class: 'inline-actions' },
      actionButton('Release', () => releaseCertificate(cert, view.refresh), 'secondary small'),
      actionButton('Revoke', () => revokeCertificate(cert, view.refresh), 'danger small'));
  }
  return '';
}

/** @param {any[]} certificates @param {import('../main.js').View} view */
function certificateHistory(certificates, view) {
  return table([
    { title: 'Serial', cell: (/** @type {any} */ c) => h('a', { href: link(`/certificates/${encodeURIComponent(c.id)}`), title: c.serial }, short(c.serial, 16)) },
    { title: 'Profile', cell: (c) => c.profile },
    { title: 'Issuer', cell: (c) => h('a', { href: link(`/cas/${encodeURIComponent(c.issuer)}`) }, c.issuer) },
    { title: 'Not before', cell: (c) => dateTime(c.notBefore), class: 'nowrap' },
    { title: 'Not after', cell: (c) => h('span', { title: relative(c.notAfter) }, dateTime(c.notAfter)), class: 'nowrap' },
    { title: 'Status', cell: (c) => h('span', null, badge(c.status), c.revocationReason ? h('span', { class: 'reason' }, ` ${c.revocationReason}`) : null) },
    { title: '', cell: (c) => certificateActions(c, view), class: 'actions-cell' },
  ], certificates, { empty: 'This device has no certificate yet.', testid: 'device-certificates' });
}

/** The device's own events and those of its latest certificates, newest first. @param {string} id @param {any[]} certificates */
async function history(id, certificates) {
  const targets = [`device:${id}`, ...certificates.slice(0, CERTIFICATES_IN_HISTORY).map((c) => `certificate:${c.id}`)];
  const pages = await Promise.all(targets.map((target) => api('GET', `/audit${query({ target, limit: 25 })}`)));
  return pages.flatMap((p) => p.items).sort((a, b) => b.seq - a.seq).slice(0, 40);
}

/** @param {import('../main.js').View} view */
export async function render(view) {
  const id = view.route.params.id;
  const path = `/devices/${encodeURIComponent(id)}`;
  const [device, certificates] = await Promise.all([api('GET', path), api('GET', `${path}/certificates`).then((r) => r.items)]);
  const events = await history(id, certificates);
  const current = certificates.find((/** @type {any} */ c) => c.status === 'valid');
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: link('/devices') }, 'Devices'), ' / ', device.externalSerial),
    h('div', { class: 'title-row' },
      h('h1', null, `Device ${device.externalSerial} `, badge(device.status)),
      deviceActions(device, view)),
    h('div', { class: 'two-columns' },
      h('section', { class: 'panel' },
        h('h3', null, 'Record'),
        fields([
          ['Id', h('code', null, device.id)],
          ['Serial', device.externalSerial],
          ['Status', badge(device.status)],
          ['Owner', device.owner],
          ['Criticality', badge(device.criticality)],
          ['Class', device.deviceClass],
          ['Environment', device.environment],
          // Unbound, any registered manufacturer's IDevID with this serial may enrol it (docs/est.md).
          ['Manufacturer', device.manufacturer ?? 'not bound: any registered manufacturer'],
          ['Model', device.model],
          ['Site', device.site],
          ['Registered', dateTime(device.createdAt)],
          ['Last change', dateTime(device.updatedAt)],
          ['Metadata', Object.keys(device.metadata).length ? h('code', null, JSON.stringify(device.metadata)) : null],
        ])),
      h('section', { class: 'panel' },
        h('h3', null, 'Current certificate'),
        current
          ? fields([
              ['Serial', h('a', { href: link(`/certificates/${encodeURIComponent(current.id)}`) }, current.serial)],
              ['Subject', current.subject],
              ['Expires', `${dateTime(current.notAfter)} (${relative(current.notAfter)})`],
              ['Renewal due', `${dateTime(current.renewAfter)} (${relative(current.renewAfter)})`],
              ['Profile', h('a', { href: link(`/profiles/${encodeURIComponent(current.profile)}`) }, current.profile)],
            ])
          : h('p', { class: 'empty' }, 'No valid certificate.'))),
    h('section', { class: 'panel' }, h('h3', null, `Certificate history (${certificates.length})`), certificateHistory(certificates, view)),
    h('section', { class: 'panel' },
      h('h3', null, 'Audit events ', h('a', { class: 'more', href: link('/audit', { target: `device:${id}` }) }, 'device events in the audit log')),
      auditTable(events)));
}
