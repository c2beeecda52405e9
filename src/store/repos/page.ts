// Keyset pagination on the primary key: ids are UUIDv7, so "id > cursor ordered by id"
// lists oldest first, stays fast at any depth and neither skips nor repeats rows when
// others are inserted between two pages (OFFSET would).
import { BadRequest } from '../../errors.ts';

export interface Page {
  limit: number;
  /** The nextCursor of the previous page; absent for the first page. */
  after?: string;
}

export interface PageResult<T> {
  items: T[];
  /** Pass as `after` to get the next page; null when this page is the last. */
  nextCursor: string | null;
}

export const MAX_PAGE_LIMIT = 1000;

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new BadRequest(`page limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

/** rows were fetched with limit + 1: the extra row only tells that another page exists. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): PageResult<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: items[items.length - 1].id };
}
