// The CA hierarchy (GET /cas) and one CA's page: its certificate, where relying parties fetch
// it and its CRL, the profiles that issue from it and a link to what it issued.
import { api } from '../api.js';
import { badge } from '../components/badge.js';
import { fields, table } from '../components/table.js';
import { h } from '../dom.js';
import { date, dateTime, relative } from '../format.js';
import { link } from '../router.js';

/** @param {import('../main.js').View} view */
export async function renderList() {
  const cas = await api('GET', '/cas');
  return h('div', null,
    h('h1', null, 'Certificate authorities'),
    table([
      { title: 'Name', cell: (/** @type {any} */ c) => h('a', { href: link(`/cas/${encodeURIComponent(c.name)}`) }, c.name) },
      { title: 'Kind', cell: (c) => c.kind },
      { title: 'Parent', cell: (c) => c.parent },
      { title: 'Subject', cell: (c) => c.subject },
      { title: 'Key', cell: (c) => c.keyType },
      { title: 'Valid until', cell: (c) => h('span', { title: relative(c.notAfter) }, date(c.notAfter)) },
      { title: 'Private key', cell: (c) => (c.hasKey ? 'held (sealed)' : 'offline') },
      { title: 'Status', cell: (c) => badge(c.status) },
    ], cas.items, { rowLink: (c) => link(`/cas/${encodeURIComponent(c.name)}`), testid: 'cas' }));
}

/** @param {import('../main.js').View} view */
export async function renderOne({ route }) {
  const name = route.params.name;
  const [ca, all, profiles] = await Promise.all([api('GET', `/cas/${encodeURIComponent(name)}`), api('GET', '/cas'), api('GET', '/profiles')]);
  const children = all.items.filter((/** @type {any} */ c) => c.parent === ca.name);
  const using = profiles.items.filter((/** @type {any} */ p) => p.ca === ca.name);
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: link('/cas') }, 'CAs'), ' / ', ca.name),
    h('h1', null, `CA ${ca.name} `, badge(ca.status)),
    h('section', { class: 'panel' },
      fields([
        ['Kind', ca.kind],
        ['Subject', ca.subject],
        ['Parent', ca.parent ? h('a', { href: link(`/cas/${encodeURIComponent(ca.parent)}`) }, ca.parent) : 'none (self-signed root)'],
        ['Key', ca.keyType],
        ['Private key', ca.hasKey ? 'held by fleetpki, sealed with the CA key passphrase' : 'offline: only the certificate is imported'],
        ['Serial', h('code', null, ca.serial)],
        ['Subject key id', h('code', null, ca.subjectKeyId)],
        ['Valid', `${dateTime(ca.notBefore)} to ${dateTime(ca.notAfter)} (${relative(ca.notAfter)})`],
        ['Published', h('span', null,
          h('a', { href: `/ca/${encodeURIComponent(ca.name)}.cer` }, 'certificate (DER)'), ' · ',
          h('a', { href: `/ca/${encodeURIComponent(ca.name)}.pem` }, 'PEM'), ' · ',
          h('a', { href: `/crl/${encodeURIComponent(ca.name)}.crl` }, 'CRL'))],
        ['Issued certificates', ca.kind === 'issuing' ? h('a', { href: link('/certificates', { issuer: ca.name }) }, 'list them') : 'issuing CAs only'],
      ])),
    h('div', { class: 'two-columns' },
      h('section', { class: 'panel' }, h('h3', null, 'Issuing CAs under it'),
        table([{ title: 'Name', cell: (/** @type {any} */ c) => h('a', { href: link(`/cas/${encodeURIComponent(c.name)}`) }, c.name) }, { title: 'Valid until', cell: (c) => date(c.notAfter) }], children, { empty: 'None.' })),
      h('section', { class: 'panel' }, h('h3', null, 'Profiles issuing from it'),
        table([{ title: 'Profile', cell: (/** @type {any} */ p) => h('a', { href: link(`/profiles/${encodeURIComponent(p.name)}`) }, p.name) }, { title: 'Lifetime', cell: (p) => p.validity }], using, { empty: 'None.' }))),
    h('section', { class: 'panel' }, h('h3', null, 'Certificate'), h('pre', { class: 'pem' }, ca.certificatePem)));
}
