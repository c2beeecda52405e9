// Devices: search and filters run on the server (GET /devices with q, status, class...),
// one page at a time with the API's keyset cursor, however large the fleet.
import { api, query } from '../api.js';
import { badge } from '../components/badge.js';
import { filterBar } from '../components/filters.js';
import { pager } from '../components/pager.js';
import { table } from '../components/table.js';
import { h } from '../dom.js';
import { short } from '../format.js';
import { link } from '../router.js';

const PAGE_SIZE = 50;

/** @param {import('../main.js').View} view */
export async function render({ route }) {
  const q = route.query;
  const page = await api('GET', `/devices${query({
    q: q.get('q'),
    status: q.get('status'),
    deviceClass: q.get('deviceClass'),
    environment: q.get('environment'),
    site: q.get('site'),
    owner: q.get('owner'),
    criticality: q.get('criticality'),
    after: q.get('after'),
    limit: PAGE_SIZE,
  })}`);
  return h('div', null,
    h('h1', null, 'Devices'),
    filterBar(route, [
      { name: 'q', label: 'Search', placeholder: 'serial, id, model or owner', wide: true },
      { name: 'status', label: 'Status', options: ['registered', 'active', 'suspended', 'decommissioned'] },
      { name: 'criticality', label: 'Criticality', options: ['critical', 'high', 'medium', 'low'] },
      { name: 'deviceClass', label: 'Class', placeholder: 'sensor' },
      { name: 'environment', label: 'Environment', placeholder: 'production' },
      { name: 'site', label: 'Site' },
      { name: 'owner', label: 'Owner' },
    ]),
    table([
      { title: 'Serial', cell: (/** @type {any} */ d) => h('a', { href: link(`/devices/${encodeURIComponent(d.id)}`) }, d.externalSerial) },
      { title: 'Id', cell: (d) => h('code', { title: d.id }, short(d.id)) },
      { title: 'Class', cell: (d) => d.deviceClass },
      { title: 'Environment', cell: (d) => d.environment },
      { title: 'Manufacturer', cell: (d) => d.manufacturer },
      { title: 'Model', cell: (d) => d.model },
      { title: 'Site', cell: (d) => d.site },
      { title: 'Owner', cell: (d) => d.owner },
      { title: 'Criticality', cell: (d) => badge(d.criticality) },
      { title: 'Status', cell: (d) => badge(d.status) },
    ], page.items, { empty: 'No device matches these filters.', rowLink: (d) => link(`/devices/${encodeURIComponent(d.id)}`), testid: 'devices' }),
    pager(route, page.nextCursor));
}
