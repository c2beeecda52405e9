import { BadRequest } from '../errors.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, y: 365 * 86400 };

/** "90s", "15m", "12h", "30d", "2y" -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhdy])$/.exec(text.trim());
  if (!match) throw new BadRequest(`"${text}" is not a duration; write a number and s, m, h, d or y (e.g. 30d)`);
  const seconds = Number(match[1]) * UNITS[match[2]];
  if (seconds <= 0) throw new BadRequest(`duration "${text}" must be positive`);
  return seconds;
}
