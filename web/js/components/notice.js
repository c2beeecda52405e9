// One line at the top of the page saying what just happened (or went wrong), until the next view.
import { h } from '../dom.js';

/** @type {{ text: string, tone: 'good' | 'bad' } | null} */
let pending = null;

/** Shown by the next render (after an action re-renders the page). @param {string} text @param {'good' | 'bad'} [tone] */
export function flash(text, tone = 'good') {
  pending = { text, tone };
}

export function takeNotice() {
  const notice = pending;
  pending = null;
  if (!notice) return null;
  return h('div', { class: `notice notice-${notice.tone}`, role: 'status', 'data-testid': 'notice' }, notice.text);
}

/** An error shown in place of a page or a panel. @param {unknown} error */
export function errorPanel(error) {
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'notice notice-bad', role: 'alert' }, message);
}
