// What each profile allows, as the compliance summary checks it: the longest lifetime and
// the key types. Certificates recorded under a name that is no profile (an IDevID's
// "idevid:<ca>", a deleted profile) have no policy to check against and are counted apart.

import type { Kysely } from 'kysely';
import { checkProfile, validitySeconds, type Profile } from '../ra/profile.ts';
import { listProfiles } from '../store/repos/profiles.ts';
import type { Database } from '../store/schema.ts';
import { isWeakKeyType } from './key-strength.ts';

/** The RA backdates notBefore by up to a minute, at most a tenth of the lifetime (src/ra/approve.ts). */
const BACKDATE_SECONDS = 60;

export interface ProfilePolicy {
  name: string;
  validitySeconds: number;
  /** Longest notAfter - notBefore the RA produces under this profile. */
  maxLifetimeSeconds: number;
  allowsKey(keyType: string): boolean;
}

function allowsKey(profile: Profile, keyType: string): boolean {
  if (isWeakKeyType(keyType)) return false;
  const rsa = /^rsa-(\d+)$/.exec(keyType);
  if (rsa) return profile.keys.allowed.includes('rsa') && Number(rsa[1]) >= profile.keys.rsaMinBits;
  return (profile.keys.allowed as string[]).includes(keyType);
}

function policyOf(profile: Profile): ProfilePolicy {
  const validity = validitySeconds(profile);
  return {
    name: profile.name,
    validitySeconds: validity,
    maxLifetimeSeconds: validity + Math.min(BACKDATE_SECONDS, Math.floor(validity / 10)),
    allowsKey: (keyType) => allowsKey(profile, keyType),
  };
}

/** Every stored profile that still validates; one that does not is left out (its certificates count as having no policy). */
export async function profilePolicies(db: Kysely<Database>): Promise<Map<string, ProfilePolicy>> {
  const policies = new Map<string, ProfilePolicy>();
  for (const row of await listProfiles(db)) {
    try {
      policies.set(row.name, policyOf(checkProfile(JSON.parse(row.definition))));
    } catch {
      // A profile stored before a schema change that no longer validates: no policy to hold certificates to.
    }
  }
  return policies;
}
