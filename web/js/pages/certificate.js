// One certificate: what openssl x509 -text would tell a person first, its place in the
// device's renewal chain, revoke / release, its PEM and its audit events.
import { api, query } from '../api.js';
import { actionButton, canOperate, releaseCertificate, revokeCertificate } from '../actions.js';
import { badge } from '../components/badge.js';
import { fields } from '../components/table.js';
import { h } from '../dom.js';
import { dateTime, relative } from '../format.js';
import { link } from '../router.js';
import { auditTable } from './audit.js';

/** @param {any} cert @param {import('../main.js').View} view */
function actions(cert, view) {
  if (!canOperate(view.session)) return null;
  const buttons = [];
  if (cert.status === 'on_hold') buttons.push(actionButton('Release', () => releaseCertificate(cert, view.refresh)));
  if (cert.status !== 'revoked') buttons.push(actionButton('Revoke', () => revokeCertificate(cert, view.refresh), 'danger'));
  return buttons.length ? h('div', { class: 'actions', 'data-testid': 'certificate-actions' }, ...buttons) : null;
}

/** A download made in the page, so it works with a bearer token as well as with the cookie. @param {any} cert */
function pemDownload(cert) {
  const button = h('button', { type: 'button', class: 'secondary small' }, 'Download PEM');
  button.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([cert.pem], { type: 'application/x-pem-file' }));
    const a = h('a', { href: url, download: `${cert.serial}.pem` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return button;
}

/** @param {import('../main.js').View} view */
export async function render(view) {
  const id = view.route.params.id;
  const [cert, events] = await Promise.all([
    api('GET', `/certificates/${encodeURIComponent(id)}`),
    api('GET', `/audit${query({ target: `certificate:${id}`, limit: 50 })}`),
  ]);
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: link('/certificates') }, 'Certificates'), ' / ', cert.serial),
    h('div', { class: 'title-row' }, h('h1', null, 'Certificate ', badge(cert.status)), actions(cert, view)),
    h('section', { class: 'panel' },
      fields([
        ['Subject', cert.subject],
        ['Subject alternative names', cert.sans.length ? h('ul', { class: 'plain' }, ...cert.sans.map((/** @type {string} */ s) => h('li', null, s))) : null],
        ['Serial', h('code', null, cert.serial)],
        ['Issuer', h('a', { href: link(`/cas/${encodeURIComponent(cert.issuer)}`) }, cert.issuer)],
        ['Profile', h('a', { href: link(`/profiles/${encodeURIComponent(cert.profile)}`) }, cert.profile)],
        ['Device', cert.deviceId ? h('a', { href: link(`/devices/${encodeURIComponent(cert.deviceId)}`) }, cert.deviceId) : null],
        ['Key', cert.keyType],
        ['Not before', dateTime(cert.notBefore)],
        ['Not after', `${dateTime(cert.notAfter)} (${relative(cert.notAfter)})`],
        ['Renewal due', dateTime(cert.renewAfter)],
        ['Status', h('span', null, badge(cert.status), cert.revocationReason ? ` ${cert.revocationReason} since ${dateTime(cert.revokedAt)}` : '')],
        ['Replaces', cert.replacesId ? h('a', { href: link(`/certificates/${encodeURIComponent(cert.replacesId)}`) }, cert.replacesId) : null],
        ['SHA-256 fingerprint', h('code', { class: 'wrap' }, cert.fingerprintSha256)],
        ['SPKI SHA-256', h('code', { class: 'wrap' }, cert.spkiSha256)],
      ])),
    h('section', { class: 'panel' }, h('h3', null, 'PEM ', pemDownload(cert)), h('pre', { class: 'pem' }, cert.pem)),
    h('section', { class: 'panel' }, h('h3', null, 'Audit events'), auditTable(events.items)));
}
