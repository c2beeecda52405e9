// A state as a coloured word. The colour repeats what the word says; it never replaces it.
import { h } from '../dom.js';
import { label } from '../format.js';

/** Colour family of each state the API reports. */
const TONES = {
  active: 'good', valid: 'good', success: 'good', resolved: 'good', acknowledged: 'muted',
  registered: 'info', open: 'warn', on_hold: 'warn', suspended: 'warn', refused: 'bad', error: 'bad',
  revoked: 'bad', decommissioned: 'muted', retired: 'muted', dismissed: 'muted', expired: 'bad',
  critical: 'bad', high: 'warn', medium: 'info', low: 'muted', warning: 'warn', info: 'info',
  // Reasons of the risk report (GET /reports/risk): the nearer the expiry, the hotter.
  'renewal-failed': 'bad', orphan: 'warn', 'weak-key': 'bad',
  'expires-within-1d': 'bad', 'expires-within-3d': 'bad', 'expires-within-7d': 'bad',
  'expires-within-14d': 'warn', 'expires-within-30d': 'warn', 'expires-within-60d': 'info', 'expires-within-90d': 'info',
};

/** @param {string} status @param {string} [text] */
export function badge(status, text) {
  const tone = /** @type {Record<string, string>} */ (TONES)[status] ?? 'muted';
  return h('span', { class: `badge badge-${tone}`, 'data-status': status }, text ?? label(status));
}
