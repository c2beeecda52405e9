// A filter bar whose values live in the address (#/devices?status=active&q=pump): applying
// it navigates, so every filtered view can be bookmarked and Back undoes a filter.
import { h } from '../dom.js';
import { label } from '../format.js';
import { link } from '../router.js';

/**
 * @typedef {{ name: string, label: string, type?: 'text' | 'date', placeholder?: string, options?: string[], wide?: boolean, noAny?: boolean }} Filter
 * @param {import('../router.js').Route} route
 * @param {Filter[]} filters
 */
export function filterBar(route, filters) {
  const controls = filters.map((filter) => {
    const value = route.query.get(filter.name) ?? '';
    const id = `filter-${filter.name}`;
    const control = filter.options
      ? h('select', { id, name: filter.name }, filter.noAny ? null : h('option', { value: '' }, 'any'), ...filter.options.map((o) => h('option', { value: o, selected: o === value }, label(o))))
      : h('input', { id, name: filter.name, type: filter.type ?? 'search', value, placeholder: filter.placeholder, autocomplete: 'off' });
    return h('label', { class: `field${filter.wide ? ' wide' : ''}`, for: id }, h('span', null, filter.label), control);
  });
  const form = /** @type {HTMLFormElement} */ (
    h('form', { class: 'filters', role: 'search' }, ...controls,
      h('div', { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Apply'),
        h('a', { href: link(route.path), class: 'button secondary' }, 'Clear')))
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const values = {};
    for (const [name, value] of new FormData(form).entries()) if (typeof value === 'string' && value.trim()) values[name] = value.trim();
    location.hash = link(route.path, values); // a new filter starts again at the first page
  });
  return form;
}

/**
 * A day picked in a date field (YYYY-MM-DD) as the RFC 3339 instant the API compares with.
 * @param {string | null} day
 */
export function dayStart(day) {
  if (!day) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day}T00:00:00Z` : day;
}
