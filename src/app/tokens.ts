// API tokens: 256-bit random secrets shown once; only their SHA-256 is stored.

import { createHash, randomBytes } from 'node:crypto';
import { NotFound, Unauthorized } from '../errors.ts';
import { newId } from '../ids.ts';
import { getTokenByHash, insertToken, listTokens as listRows, revokeToken as revokeRow, touchToken } from '../store/repos/tokens.ts';
import type { ApiTokensTable, Role } from '../store/schema.ts';
import type { Context } from './context.ts';

export const ROLES: Role[] = ['admin', 'operator', 'auditor'];
const PREFIX = 'fpk_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type TokenInfo = Omit<ApiTokensTable, 'token_hash'>;

function info(row: ApiTokensTable): TokenInfo {
  const { token_hash: _, ...rest } = row;
  return rest;
}

export async function createToken(ctx: Context, name: string, role: Role, actor: string, expiresAt: string | null = null): Promise<{ token: string; info: TokenInfo }> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const row: ApiTokensTable = {
    id: newId(),
    name,
    role,
    token_hash: hashToken(token),
    created_at: new Date().toISOString(),
    expires_at: expiresAt,
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.ledger.submit((trx) => insertToken(trx, row), [
    { actor, action: 'token.create', target: `token:${row.id}`, outcome: 'success', details: { name, role, expiresAt } },
  ]);
  return { token, info: info(row) };
}

export async function listTokens(ctx: Context): Promise<TokenInfo[]> {
  return (await listRows(ctx.db)).map(info);
}

export async function revokeToken(ctx: Context, id: string, actor: string): Promise<void> {
  const done = await ctx.ledger.submit((trx) => revokeRow(trx, id, new Date().toISOString()), [
    { actor, action: 'token.revoke', target: `token:${id}`, outcome: 'success' },
  ]);
  if (!done) throw new NotFound(`no active token with id ${id}`);
}

/** Last-use times are written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export async function authenticate(ctx: Context, token: string | undefined): Promise<TokenInfo> {
  if (!token) throw new Unauthorized('missing bearer token: send Authorization: Bearer <token>');
  const row = token.startsWith(PREFIX) ? await getTokenByHash(ctx.db, hashToken(token)) : undefined;
  const now = new Date();
  if (!row) throw new Unauthorized('unknown API token');
  if (row.revoked_at) throw new Unauthorized('this API token has been revoked');
  if (row.expires_at && row.expires_at <= now.toISOString()) throw new Unauthorized('this API token has expired');
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > TOUCH_INTERVAL_MS) {
    row.last_used_at = now.toISOString();
    await touchToken(ctx.db, row.id, row.last_used_at);
  }
  return info(row);
}
