// A state as a coloured word. The colour repeats what the word says; it never replaces it.
import { h } from '../dom.js';
import { label } from '../format.js';

/** Colour family of each state the API reports. */
const TONES = {
  active: 'good', valid: 'good', success: 'good', resolved: 'good', acknowledged: 'muted',
  registered: 'info', open: 'warn', on_hold: 'warn', suspended: 'warn', refused: 'bad', error: 'bad',
  revoked: 'bad', decommissioned: 'muted', retired: 'muted', dismissed: 'muted', expired: 'bad',
  critical: 'bad', high: 'warn', medium: 'info', low: 'muted', warning: 'warn', info: 'info',
};

/** @param {string} status @param {string} [text] */
export function badge(status, text) {
  const tone = /** @type {Record<string, string>} */ (TONES)[status] ?? 'muted';
  return h('span', { class: `badge badge-${tone}`, 'data-status': status }, text ?? label(status));
}
