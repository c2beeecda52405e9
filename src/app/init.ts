// First start: create the CA hierarchy from configuration, the default profiles and an admin
// token. Idempotent: what exists is left alone.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIssuingCa, createRootCa, type HierarchyDeps } from '../ca/hierarchy.ts';
import { DEFAULT_PROFILES } from '../ra/default-profiles.ts';
import { getCaByName } from '../store/repos/cas.ts';
import { getProfile as getProfileRow } from '../store/repos/profiles.ts';
import { listTokens } from '../store/repos/tokens.ts';
import type { Context } from './context.ts';
import { putProfile } from './profiles.ts';
import { createToken } from './tokens.ts';

export interface InitResult {
  createdCas: string[];
  createdProfiles: string[];
  /** Path of the file holding a newly created admin token. */
  adminTokenFile: string | null;
}

export function hierarchyDeps(ctx: Context): HierarchyDeps {
  return { db: ctx.db, ledger: ctx.ledger, passphrase: ctx.passphrase, scryptLog2N: ctx.config.keys.scryptLog2N, publicUrl: ctx.config.publicUrl };
}

async function ensureHierarchy(ctx: Context, actor: string): Promise<string[]> {
  const { root, issuing } = ctx.config.hierarchy;
  const created: string[] = [];
  if (!(await getCaByName(ctx.db, root.name))) {
    await createRootCa(hierarchyDeps(ctx), root, actor);
    created.push(root.name);
  }
  const parent = await ctx.cas.byName(root.name);
  for (const spec of issuing) {
    if (await getCaByName(ctx.db, spec.name)) continue;
    await createIssuingCa(hierarchyDeps(ctx), spec, parent, actor);
    created.push(spec.name);
  }
  return created;
}

async function ensureProfiles(ctx: Context, actor: string): Promise<string[]> {
  const created: string[] = [];
  for (const profile of DEFAULT_PROFILES) {
    if (await getProfileRow(ctx.db, profile.name)) continue;
    if (!(await getCaByName(ctx.db, profile.ca))) continue;
    await putProfile(ctx, profile, actor);
    created.push(profile.name);
  }
  return created;
}

async function ensureAdminToken(ctx: Context, actor: string): Promise<string | null> {
  if ((await listTokens(ctx.db)).some((t) => t.role === 'admin' && !t.revoked_at)) return null;
  const { token } = await createToken(ctx, 'initial-admin', 'admin', actor);
  mkdirSync(ctx.config.dataDir, { recursive: true });
  const file = join(ctx.config.dataDir, 'admin-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export async function initialize(ctx: Context, actor = 'system:init'): Promise<InitResult> {
  mkdirSync(ctx.config.dataDir, { recursive: true, mode: 0o700 });
  const createdCas = await ensureHierarchy(ctx, actor);
  const createdProfiles = await ensureProfiles(ctx, actor);
  const adminTokenFile = await ensureAdminToken(ctx, actor);
  return { createdCas, createdProfiles, adminTokenFile };
}

