import { NotFound } from '../errors.ts';
import { checkProfile, type Profile } from '../ra/profile.ts';
import { deleteProfile as deleteRow, getProfile as getRow, listProfiles as listRows, upsertProfile } from '../store/repos/profiles.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

export async function getProfile(ctx: Context, name: string): Promise<Profile> {
  const row = await getRow(ctx.db, name);
  if (!row) throw new NotFound(`no profile named ${name}`);
  return checkProfile(JSON.parse(row.definition));
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
