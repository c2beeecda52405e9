// GET /cacerts (RFC 7030 4.1): the CA certificates a client needs to trust what fleetpki
// issues. With a label, the profile's issuing CA and every CA above it; without, every
// active CA of the fleet, roots included. No authentication: these are public.

import type { Context } from '../../app/context.ts';
import type { Profile } from '../../ra/profile.ts';
import { listCas } from '../../store/repos/cas.ts';
import { labelOf, labelProfile, operationPaths } from '../labels.ts';
import { sendCertsOnly } from '../responses.ts';
import type { EstApp } from '../types.ts';

async function chainOf(ctx: Context, profile: Profile): Promise<Buffer[]> {
  const chain: Buffer[] = [];
  for (let ca = (await ctx.cas.byName(profile.ca)).row; ; ) {
    chain.push(ca.certificate_der);
    if (!ca.parent_id || ca.parent_id === ca.id) return chain;
    ca = (await ctx.cas.get(ca.parent_id)).row;
  }
}

export function cacertsRoutes(app: EstApp, ctx: Context): void {
  for (const url of operationPaths('cacerts')) {
    app.get(url, async (request, reply) => {
      const profile = await labelProfile(ctx, labelOf(request));
      const certificates = profile ? await chainOf(ctx, profile) : (await listCas(ctx.db)).filter((ca) => ca.status === 'active').map((ca) => ca.certificate_der);
      return sendCertsOnly(reply, certificates);
    });
  }
}
