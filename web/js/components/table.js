// Tables of API items. Each column says how to render one cell; an empty page says so in words.
import { h } from '../dom.js';

/**
 * @template T
 * @typedef {{ title: string, cell: (item: T) => Node | string | number | null, class?: string }} Column
 */

/**
 * @template T
 * @param {Column<T>[]} columns
 * @param {T[]} items
 * @param {{ empty?: string, rowLink?: (item: T) => string, testid?: string }} [options]
 */
export function table(columns, items, options = {}) {
  if (items.length === 0) return h('p', { class: 'empty' }, options.empty ?? 'Nothing to show.');
  const head = h('tr', null, ...columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.title)));
  const rows = items.map((item) => {
    const cells = columns.map((c) => h('td', { class: c.class }, c.cell(item) ?? '–'));
    const row = h('tr', null, ...cells);
    // Whole rows are clickable for the mouse; the link in the first cell stays for keyboards.
    if (options.rowLink) {
      const target = options.rowLink(item);
      row.classList.add('clickable');
      row.addEventListener('click', (event) => {
        if (!(event.target instanceof Element) || !event.target.closest('a, button, select, input')) location.hash = target;
      });
    }
    return row;
  });
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': options.testid }, h('thead', null, head), h('tbody', null, ...rows)));
}

/**
 * Label/value pairs of one object (a device, a certificate).
 * @param {Array<[string, Node | string | number | null | undefined]>} pairs
 */
export function fields(pairs) {
  return h('dl', { class: 'fields' }, ...pairs.flatMap(([name, value]) => [h('dt', null, name), h('dd', null, value ?? '–')]));
}
