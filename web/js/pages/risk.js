// The risk view: what to fix first. Its ranking comes from the reporting module
// (GET /reports/risk); a build without it says so instead of guessing.
import { unavailable } from '../components/unavailable.js';
import { h } from '../dom.js';

/** @param {import('../main.js').View} view */
export async function render() {
  return h('div', null, h('h1', null, 'Risk: what to fix first'), unavailable('The risk report', 'GET /api/v1/reports/risk'));
}
