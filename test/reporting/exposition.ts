// The Prometheus text exposition format read back, the way a scraper reads /metrics.

import assert from 'node:assert/strict';

/** name{labels} -> value, labels sorted by name (HELP/TYPE comments skipped). */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels = (match[2] ?? '').replace(/^\{|\}$/g, '').split(',').filter(Boolean).sort().join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : match[1], Number(match[3]));
  }
  return samples;
}

/** The samples of one metric, by their label text, for comparing a whole family at once. */
export function family(samples: Map<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of samples) {
    if (key === name || key.startsWith(`${name}{`)) out[key.slice(name.length)] = value;
  }
  return out;
}
