// The risk report pages by keyset on (score desc, not_after, id). Scores move with the clock,
// so the cursor also carries the instant the first page was ranked at: every later page is
// ranked as of that same instant and the pages neither repeat nor skip a certificate.

import { BadRequest } from '../errors.ts';

export interface RiskCursor {
  asOf: string;
  score: number;
  notAfter: string;
  id: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(cursor: RiskCursor): string {
  return Buffer.from(JSON.stringify([cursor.asOf, cursor.score, cursor.notAfter, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): RiskCursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  if (!Array.isArray(parts) || parts.length !== 4) throw new BadRequest('after is not a cursor this report returned');
  const [asOf, score, notAfter, id] = parts as unknown[];
  const valid =
    typeof asOf === 'string' && ISO.test(asOf) && Number.isSafeInteger(score) && typeof notAfter === 'string' && ISO.test(notAfter) &&
    typeof id === 'string' && id.length > 0 && id.length <= 64;
  if (!valid) throw new BadRequest('after is not a cursor this report returned');
  return { asOf: asOf as string, score: score as number, notAfter: notAfter as string, id: id as string };
}
