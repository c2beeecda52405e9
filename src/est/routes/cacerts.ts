// GET /cacerts (RFC 7030 4.1): "the current CA certificates" a client should trust for what
// this EST server issues. With a label, the profile's issuing CA and every CA above it.
// Without, the same for every profile that issues device identities: the CAs of
// code-signing profiles are left out (firmware trust is its own bundle, docs/firmware.md),
// and so are manufacturer CAs fleetpki holds (`manufacturer create-ca`): they anchor
// IDevIDs for the RA, and a device that trusted them as EST or TLS anchors would trust
// every birth certificate as a server. No authentication: these are public.

import type { Context } from '../../app/context.ts';
import { listProfiles } from '../../app/profiles.ts';
import { NotFound } from '../../errors.ts';
import type { Profile } from '../../ra/profile.ts';
import { listManufacturers } from '../../store/repos/manufacturers.ts';
import type { CasTable } from '../../store/schema.ts';
import { extKeyUsageOid } from '../../x509/extensions.ts';
import { OID } from '../../x509/oids.ts';
import { labelOf, labelProfile, operationPaths } from '../labels.ts';
import { sendCertsOnly } from '../responses.ts';
import type { EstApp } from '../types.ts';

/** The profile's CA, then its parents up to the root. */
async function chainOf(ctx: Context, profile: Profile): Promise<CasTable[]> {
  const chain: CasTable[] = [];
  for (let ca = (await ctx.cas.byName(profile.ca)).row; ; ) {
    chain.push(ca);
    if (!ca.parent_id || ca.parent_id === ca.id) return chain;
    ca = (await ctx.cas.get(ca.parent_id)).row;
  }
}

const signsCode = (profile: Profile) => profile.extKeyUsage.some((usage) => extKeyUsageOid(usage) === OID.kpCodeSigning);

/** Every active CA a device-identity profile issues from, with the CAs above it; each once, in profile order. */
async function issuanceCas(ctx: Context): Promise<Buffer[]> {
  const anchors = new Set((await listManufacturers(ctx.db)).map((m) => m.certificate_der.toString('hex')));
  const seen = new Map<string, Buffer>();
  for (const profile of await listProfiles(ctx)) {
    if (signsCode(profile)) continue;
    // A profile naming a CA that is gone issues nothing; it is not a reason to answer nothing.
    const chain = await chainOf(ctx, profile).catch((error) => (error instanceof NotFound ? [] : Promise.reject(error)));
    if (chain.length === 0 || chain[0].status !== 'active') continue;
    for (const ca of chain) if (!anchors.has(ca.certificate_der.toString('hex'))) seen.set(ca.id, ca.certificate_der);
  }
  return [...seen.values()];
}

export function cacertsRoutes(app: EstApp, ctx: Context): void {
  for (const url of operationPaths('cacerts')) {
    app.get(url, async (request, reply) => {
      const profile = await labelProfile(ctx, labelOf(request));
      const certificates = profile ? (await chainOf(ctx, profile)).map((ca) => ca.certificate_der) : await issuanceCas(ctx);
      return sendCertsOnly(reply, certificates);
    });
  }
}
