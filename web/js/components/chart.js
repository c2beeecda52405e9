// The expiry timeline: one bar per UTC day of valid certificates reaching their notAfter,
// drawn as SVG by hand (no charting library to download or serve). Bars in the next 7 days
// are red and up to 30 days amber, the urgency the overview's counters use; each bar links
// to the certificates that expire that day.
import { s } from '../dom.js';
import { count } from '../format.js';
import { link } from '../router.js';

const WIDTH = 960;
const HEIGHT = 240;
const PAD = { top: 16, right: 12, bottom: 34, left: 48 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Axis steps of 1, 2 or 5 times a power of ten, at most five of them: whole numbers of
 * certificates on every grid line.
 * @param {number} max
 * @returns {{ top: number, step: number }}
 */
function axis(max) {
  if (max <= 0) return { top: 4, step: 1 };
  const power = 10 ** Math.floor(Math.log10(max / 5));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((candidate) => Math.ceil(max / candidate) <= 5) ?? 10 * power);
  return { top: Math.max(step, Math.ceil(max / step) * step), step };
}

/** @param {string} day YYYY-MM-DD */
function dayLabel(day) {
  return `${MONTHS[Number(day.slice(5, 7)) - 1]} ${Number(day.slice(8, 10))}`;
}

/** @param {number} index days from today */
function tone(index) {
  if (index < 7) return 'bar-bad';
  if (index < 30) return 'bar-warn';
  return 'bar-info';
}

/** @param {string} day @returns {string} */
function nextDay(day) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * @param {{ date: string, count: number }[]} items one per day, today first
 * @returns {SVGElement}
 */
export function expiryChart(items) {
  const { top: max, step } = axis(Math.max(0, ...items.map((i) => i.count)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, items.length);
  const barWidth = Math.max(1, slot * 0.72);
  const y = (/** @type {number} */ v) => PAD.top + plotHeight - (v / max) * plotHeight;

  const grid = Array.from({ length: max / step + 1 }, (_, i) => {
    const value = i * step;
    return s('g', { class: 'grid' },
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      s('text', { x: PAD.left - 8, y: y(value) + 4, 'text-anchor': 'end' }, count(value)));
  });

  const bars = items.map((item, i) => {
    const x = PAD.left + i * slot + (slot - barWidth) / 2;
    const height = Math.max(item.count > 0 ? 2 : 0, y(0) - y(item.count));
    const title = s('title', {}, `${item.date}: ${count(item.count)} certificate${item.count === 1 ? '' : 's'} expire`);
    const rect = s('rect', { x, y: y(0) - height, width: barWidth, height, class: tone(i), 'data-date': item.date, 'data-count': item.count });
    if (item.count === 0) return s('g', {}, rect, title);
    const href = link('/certificates', { status: 'valid', expiringAfter: item.date, expiringBefore: nextDay(item.date) });
    return s('a', { href }, rect, title);
  });

  // A date under the first bar and every seventh after it: a week per label.
  const ticks = items.flatMap((item, i) =>
    i % 7 === 0 ? [s('text', { x: PAD.left + i * slot + slot / 2, y: HEIGHT - PAD.bottom + 18, 'text-anchor': 'middle' }, i === 0 ? 'today' : dayLabel(item.date))] : [],
  );

  return s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': 'Certificates expiring per day', 'data-testid': 'expiry-chart' },
    ...grid,
    s('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }),
    ...bars,
    s('g', { class: 'ticks' }, ...ticks));
}
