import { NotFound } from '../errors.ts';
import { checkProfile, type Profile } from '../ra/profile.ts';
import { deleteProfile as deleteRow, getProfile as getRow, listProfiles as listRows, upsertProfile } from '../store/repos/profiles.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

/** Validated profiles by name; re-validated only when the stored row changed (any instance may edit it). */
const validated = new WeakMap<Context, Map<string, { updatedAt: string; profile: Profile }>>();

export async function getProfile(ctx: Context, name: string): Promise<Profile> {
  const row = await getRow(ctx.db, name);
  if (!row) throw new NotFound(`no profile named ${name}`);
  let cache = validated.get(ctx);
  if (!cache) validated.set(ctx, (cache = new Map()));
  const hit = cache.get(name);
  if (hit && hit.updatedAt === row.updated_at) return hit.profile;
  const profile = checkProfile(JSON.parse(row.definition));
  cache.set(name, { updatedAt: row.updated_at, profile });
  return profile;
}

export async function listProfiles(ctx: Context): Promise<Profile[]> {
  return (await listRows(ctx.db)).map((row) => checkProfile(JSON.parse(row.definition)));
}

/** Creates or replaces a profile; its issuing CA must exist. */
export async function putProfile(ctx: Context, input: unknown, actor: string): Promise<Profile> {
  const name = (input as { name?: unknown })?.name;
  return audited(ctx, actor, 'profile.put', `profile:${String(name)}`, async () => {
    const profile = checkProfile(input);
    await ctx.cas.byName(profile.ca);
    const now = new Date().toISOString();
    await ctx.ledger.submit((trx) => upsertProfile(trx, { name: profile.name, definition: JSON.stringify(profile), now }), [
      { actor, action: 'profile.put', target: `profile:${profile.name}`, outcome: 'success', details: { ca: profile.ca, validity: profile.validity } },
    ]);
    return profile;
  });
}

export async function deleteProfile(ctx: Context, name: string, actor: string): Promise<void> {
  await audited(ctx, actor, 'profile.delete', `profile:${name}`, async () => {
    const deleted = await ctx.ledger.submit((trx) => deleteRow(trx, name), [
      { actor, action: 'profile.delete', target: `profile:${name}`, outcome: 'success' },
    ]);
    if (!deleted) throw new NotFound(`no profile named ${name}`);
  });
}
