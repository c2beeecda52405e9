// Profiles (GET /profiles): the RA's policies, what each allows and which CA signs it.
import { api } from '../api.js';
import { fields, table } from '../components/table.js';
import { h } from '../dom.js';
import { link } from '../router.js';

/** @param {string[]} values */
const list = (values) => (values.length ? values.join(', ') : null);

export async function renderList() {
  const profiles = await api('GET', '/profiles');
  return h('div', null,
    h('h1', null, 'Profiles'),
    table([
      { title: 'Name', cell: (/** @type {any} */ p) => h('a', { href: link(`/profiles/${encodeURIComponent(p.name)}`) }, p.name) },
      { title: 'Description', cell: (p) => p.description },
      { title: 'CA', cell: (p) => p.ca },
      { title: 'Lifetime', cell: (p) => p.validity },
      { title: 'Renew after', cell: (p) => `${Math.round(p.renewAfter * 100)} %` },
      { title: 'Keys', cell: (p) => list(p.keys.allowed) },
      { title: 'Extended key usage', cell: (p) => list(p.extKeyUsage) },
    ], profiles.items, { rowLink: (p) => link(`/profiles/${encodeURIComponent(p.name)}`), testid: 'profiles' }));
}

/** @param {import('../main.js').View} view */
export async function renderOne({ route }) {
  const p = await api('GET', `/profiles/${encodeURIComponent(route.params.name)}`);
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: link('/profiles') }, 'Profiles'), ' / ', p.name),
    h('h1', null, `Profile ${p.name}`),
    h('section', { class: 'panel' },
      fields([
        ['Description', p.description],
        ['Issuing CA', h('a', { href: link(`/cas/${encodeURIComponent(p.ca)}`) }, p.ca)],
        ['Lifetime', p.validity],
        ['Renewal due after', `${Math.round(p.renewAfter * 100)} % of the lifetime`],
        ['Key types', list(p.keys.allowed)],
        ['Minimum RSA size', p.keys.allowed.includes('rsa') ? `${p.keys.rsaMinBits} bits` : null],
        ['Subject', Object.entries(p.subject).map(([k, v]) => `${k}=${v}`).join(', ')],
        ['SANs always added', list(p.san.templates)],
        ['SANs a device may request', list(p.san.allowRequested)],
        ['Key usage', list(p.keyUsage)],
        ['Extended key usage', list(p.extKeyUsage)],
        ['Privacy (no hardware serial in certificates)', p.privacy ? 'yes' : 'no'],
        ['Device classes', list(p.deviceClasses) ?? 'any'],
        // A profile stored before environments existed has none: it serves any environment.
        ['Environments', list(p.environments ?? []) ?? 'any'],
        ['Certificates', h('a', { href: link('/certificates', { profile: p.name }) }, 'list the certificates issued under it')],
      ])));
}
