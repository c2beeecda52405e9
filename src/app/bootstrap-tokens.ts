// One-time EST bootstrap tokens: 256-bit random secrets bound to a device and a profile,
// shown once; only their SHA-256 is stored (as for API tokens, src/app/tokens.ts). The EST
// bootstrap-token authoriser consumes them (src/ra/authorisers/bootstrap-token.ts).

import { randomBytes } from 'node:crypto';
import { BadRequest, NotFound, PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import { insertBootstrapToken, listBootstrapTokensForDevice } from '../store/repos/bootstrap-tokens.ts';
import { getDevice } from '../store/repos/devices.ts';
import type { BootstrapTokensTable } from '../store/schema.ts';
import type { Context } from './context.ts';
import { getProfile } from './profiles.ts';
import { audited } from './refusal.ts';
import { hashToken } from './tokens.ts';

export const BOOTSTRAP_PREFIX = 'fpb_';
/** A bootstrap secret is for a device being installed now, not a standing credential. */
export const MAX_BOOTSTRAP_LIFETIME_MS = 30 * 86_400_000;

export type BootstrapTokenInfo = Omit<BootstrapTokensTable, 'token_hash'>;

export function bootstrapTokenInfo(row: BootstrapTokensTable): BootstrapTokenInfo {
  const { token_hash: _, ...rest } = row;
  return rest;
}

function checkExpiry(expiresAt: Date, now: Date): void {
  if (Number.isNaN(expiresAt.getTime())) throw new BadRequest('the expiry is not a valid time');
  if (expiresAt <= now) throw new BadRequest('the expiry is in the past');
  if (expiresAt.getTime() - now.getTime() > MAX_BOOTSTRAP_LIFETIME_MS) throw new BadRequest('a bootstrap token may live at most 30 days');
}

export async function createBootstrapToken(ctx: Context, deviceId: string, profileName: string, expiresAt: Date, actor: string): Promise<{ token: string; info: BootstrapTokenInfo }> {
  return audited(ctx, actor, 'bootstrap-token.create', `device:${deviceId}`, async () => {
    const now = new Date();
    checkExpiry(expiresAt, now);
    const device = await getDevice(ctx.db, deviceId);
    if (!device) throw new NotFound(`no device with id ${deviceId}`);
    if (device.status === 'decommissioned') throw new PolicyDenied(`device ${deviceId} is decommissioned; it can never enrol again`);
    await getProfile(ctx, profileName).catch((error) => {
      throw error instanceof NotFound ? new BadRequest(`unknown profile ${profileName}`) : error;
    });
    const token = BOOTSTRAP_PREFIX + randomBytes(32).toString('base64url');
    const row: BootstrapTokensTable = {
      id: newId(),
      token_hash: hashToken(token),
      device_id: device.id,
      profile: profileName,
      expires_at: expiresAt.toISOString(),
      used_at: null,
      created_at: now.toISOString(),
    };
    await ctx.ledger.submit((trx) => insertBootstrapToken(trx, row), [
      { actor, action: 'bootstrap-token.create', target: `bootstrap-token:${row.id}`, outcome: 'success', details: { device: device.id, profile: profileName, expiresAt: row.expires_at } },
    ]);
    return { token, info: bootstrapTokenInfo(row) };
  });
}

export async function listBootstrapTokens(ctx: Context, deviceId: string): Promise<BootstrapTokenInfo[]> {
  const device = await getDevice(ctx.db, deviceId);
  if (!device) throw new NotFound(`no device with id ${deviceId}`);
  return (await listBootstrapTokensForDevice(ctx.db, deviceId)).map(bootstrapTokenInfo);
}

/** What the API and CLI show of a token: never the secret, never its hash. */
export function bootstrapTokenView(info: BootstrapTokenInfo) {
  return { id: info.id, deviceId: info.device_id, profile: info.profile, expiresAt: info.expires_at, usedAt: info.used_at, createdAt: info.created_at };
}
export type BootstrapTokenView = ReturnType<typeof bootstrapTokenView>;
