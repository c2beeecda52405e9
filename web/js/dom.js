// Building DOM nodes without ever parsing a string as HTML: every value from the API lands in a text node or an
// attribute, so a device named "<img onerror=…>" is shown, never run.

/**
 * h('a', { href: '#/x', class: 'link' }, 'text', child) creates an element. Attributes whose
 * name starts with "on" take a function; `null`, `undefined` and `false` children are skipped.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The same for SVG elements (the expiry chart).
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

/** @param {Element} element @param {unknown[]} children */
function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** @param {Element} element @param {...(Node | string)} children */
export function replace(element, ...children) {
  element.replaceChildren(...children);
}
