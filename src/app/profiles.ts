import { NotFound } from '../errors.ts';
import { checkProfile, type Profile } from '../ra/profile.ts';
import { deleteProfile as deleteRow, getProfile as getRow, listProfiles as listRows, upsertProfile } from '../store/repos/profiles.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

/**
 * How long a validated profile is served without looking at its row. Every issuance needs
 * its profile, and a query per request cost the issuing path more than the RA's checks. An
 * edit made through this process (putProfile, deleteProfile) takes effect at once; one made
 * by another process sharing the database (the CLI beside a server, a second instance)
 * within this bound.
 */
export const PROFILE_RECHECK_MS = 1000;

interface CachedProfile {
  updatedAt: string;
  profile: Profile;
  checkedAt: number;
}

interface ProfileCache {
  entries: Map<string, CachedProfile>;
  /** Bumped by every local edit: a lookup that read the row before the edit must not store what it read. */
  generation: number;
}

const caches = new WeakMap<Context, ProfileCache>();

function cacheOf(ctx: Context): ProfileCache {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = { entries: new Map(), generation: 0 }));
  return cache;
}

function forget(ctx: Context, name: string): void {
  const cache = cacheOf(ctx);
  cache.entries.delete(name);
  cache.generation++;
}

export async function getProfile(ctx: Context, name: string): Promise<Profile> {
  const cache = cacheOf(ctx);
  const hit = cache.entries.get(name);
  const now = Date.now();
  if (hit && now - hit.checkedAt < PROFILE_RECHECK_MS) return hit.profile;
  const generation = cache.generation;
  const row = await getRow(ctx.db, name);
  if (!row) {
    if (cache.generation === generation) cache.entries.delete(name);
    throw new NotFound(`no profile named ${name}`);
  }
  // Re-validated only when the stored row changed since it was last read.
  const profile = hit && hit.updatedAt === row.updated_at ? hit.profile : checkProfile(JSON.parse(row.definition));
  if (cache.generation === generation) cache.entries.set(name, { updatedAt: row.updated_at, profile, checkedAt: now });
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
    try {
      await ctx.ledger.submit((trx) => upsertProfile(trx, { name: profile.name, definition: JSON.stringify(profile), now }), [
        { actor, action: 'profile.put', target: `profile:${profile.name}`, outcome: 'success', details: { ca: profile.ca, validity: profile.validity } },
      ]);
    } finally {
      forget(ctx, profile.name);
    }
    return profile;
  });
}

export async function deleteProfile(ctx: Context, name: string, actor: string): Promise<void> {
  await audited(ctx, actor, 'profile.delete', `profile:${name}`, async () => {
    const deleted = await ctx.ledger
      .submit((trx) => deleteRow(trx, name), [{ actor, action: 'profile.delete', target: `profile:${name}`, outcome: 'success' }])
      .finally(() => forget(ctx, name));
    if (!deleted) throw new NotFound(`no profile named ${name}`);
  });
}
