// `fleetpki manufacturer create-ca`: for fleets whose maker gives devices no birth
// certificate, a manufacturer CA that fleetpki holds. It is a self-signed CA kept like every
// CA (in `cas`, key sealed; so IDevIDs it signs are recorded, and revocable, like any
// certificate), and registered in `manufacturers` as a trust anchor, the same row an
// imported maker's CA gets, which is what EST's IDevID enrolment trusts. Both rows are
// written in one transaction.

import type { Context } from '../app/context.ts';
import { hierarchyDeps } from '../app/init.ts';
import { audited } from '../app/refusal.ts';
import { assertNameFree, caRow, seal, signSelfSignedCa } from '../ca/hierarchy.ts';
import type { CaSpec } from '../config/schema.ts';
import { Conflict } from '../errors.ts';
import { newId } from '../ids.ts';
import { SoftwareSigner } from '../signer/software.ts';
import { insertCa } from '../store/repos/cas.ts';
import { getManufacturerByName, insertManufacturer } from '../store/repos/manufacturers.ts';
import type { CasTable, ManufacturersTable } from '../store/schema.ts';
import { generateKeyPair } from '../x509/keys.ts';

/**
 * IEEE 802.1AR 8.5 and RFC 5280 4.1.2.5: an identity with no well-defined expiry carries
 * notAfter 99991231235959Z. The CA that signs such identities must not end before them.
 */
export const NO_WELL_DEFINED_EXPIRY = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

export type ManufacturerCaSpec = Omit<CaSpec, 'validityDays'>;

export async function createManufacturerCa(ctx: Context, spec: ManufacturerCaSpec, actor: string, now = new Date()): Promise<{ ca: CasTable; manufacturer: ManufacturersTable }> {
  return audited(ctx, actor, 'manufacturer.create-ca', `manufacturer:${spec.name}`, async () => {
    const deps = hierarchyDeps(ctx);
    await assertNameFree(deps, spec.name);
    if (await getManufacturerByName(ctx.db, spec.name)) throw new Conflict(`a manufacturer named ${spec.name} is already registered`);
    const { privateKey } = generateKeyPair(spec.keyType);
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
    // Path length 0: it signs device identities, never another CA.
    const der = await signSelfSignedCa(new SoftwareSigner(privateKey), spec, { notBefore, notAfter: NO_WELL_DEFINED_EXPIRY }, 0);
    const id = newId();
    const ca = caRow(id, spec, 'root', null, der, seal(deps, privateKey, id));
    const manufacturer: ManufacturersTable = { id: newId(), name: spec.name, subject: ca.subject, ski_hex: ca.ski_hex, certificate_der: der, created_at: ca.created_at };
    const details = { ca: ca.id, subject: ca.subject, keyType: ca.key_type, notAfter: ca.not_after };
    await ctx.ledger.submit(
      async (trx) => {
        if (await getManufacturerByName(trx, spec.name)) throw new Conflict(`a manufacturer named ${spec.name} is already registered`);
        await insertCa(trx, ca);
        await insertManufacturer(trx, manufacturer);
      },
      [
        { actor, action: 'ca.create', target: `ca:${ca.name}`, outcome: 'success', details: { kind: 'manufacturer', ...details } },
        { actor, action: 'manufacturer.add', target: `manufacturer:${manufacturer.id}`, outcome: 'success', details: { name: spec.name, ...details } },
      ],
    );
    return { ca, manufacturer };
  });
}
