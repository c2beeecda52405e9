// Which CA certificates go into the published ca-bundle.pem. Gateways use it as their trust
// store for client certificates (Mosquitto `cafile`, nginx `ssl_client_certificate`), so
// every CA in it is one whose clientAuth certificates get in. Every CA fleetpki holds would
// be wrong: a manufacturer CA's IDevIDs carry clientAuth (IEEE 802.1AR), so a device showing
// only its birth certificate would connect as if it were enrolled; and the code-signing CA
// has no business authenticating anyone to a broker.
//
// By default: the CAs that some profile issues TLS certificates from (an extended key usage
// of clientAuth, serverAuth or any, or none at all, which TLS stacks read as any), plus the
// roots above them, never a manufacturer CA. `crl.publishCas` names the CAs instead.

import type { Context } from '../app/context.ts';
import { listProfiles } from '../app/profiles.ts';
import { BadRequest } from '../errors.ts';
import type { Profile } from '../ra/profile.ts';
import type { CaRow } from '../store/repos/cas.ts';
import { listManufacturers } from '../store/repos/manufacturers.ts';
import { extKeyUsageOid } from '../x509/extensions.ts';

const TLS_USAGES = new Set([extKeyUsageOid('clientAuth'), extKeyUsageOid('serverAuth'), '2.5.29.37.0']);

function issuesTls(profile: Profile): boolean {
  return profile.extKeyUsage.length === 0 || profile.extKeyUsage.some((usage) => TLS_USAGES.has(extKeyUsageOid(usage)));
}

/** The explicit list, in `cas` order (root first); an unknown name is an error, not a smaller bundle. */
function named(cas: CaRow[], names: string[]): CaRow[] {
  const unknown = names.filter((name) => !cas.some((ca) => ca.name === name));
  if (unknown.length > 0) throw new BadRequest(`crl.publishCas names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} no CA here (fleetpki ca list)`);
  return cas.filter((ca) => names.includes(ca.name));
}

/** `cas` as listCas returns them (oldest first, so a root before its issuing CAs); the bundle keeps that order. */
export async function bundleCas(ctx: Context, cas: CaRow[]): Promise<CaRow[]> {
  const names = ctx.config.crl.publishCas;
  if (names) return named(cas, names);
  const makers = (await listManufacturers(ctx.db)).map((m) => m.certificate_der);
  const isManufacturer = (ca: CaRow) => makers.some((der) => der.equals(ca.certificate_der));
  const byId = new Map(cas.map((ca) => [ca.id, ca]));
  const tls = new Set((await listProfiles(ctx)).filter(issuesTls).map((p) => p.ca));
  const chosen = new Set<string>();
  for (const ca of cas) {
    if (!tls.has(ca.name) || isManufacturer(ca)) continue;
    // The issuing CA and every CA above it: a gateway needs the whole chain to its root.
    for (let at: CaRow | undefined = ca; at && !chosen.has(at.id); at = at.parent_id ? byId.get(at.parent_id) : undefined) chosen.add(at.id);
  }
  return cas.filter((ca) => chosen.has(ca.id));
}
