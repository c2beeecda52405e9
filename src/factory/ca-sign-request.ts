// `fleetpki ca sign-request` (offline instance, the root's home): sign an issuing CA's CSR
// that came across the air gap. The certificate is a CA certificate with path length 0,
// inside the root's validity, and it is recorded here (as a CA whose key this instance does
// not hold) before it is handed out, so the offline root knows everything it signed.

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import { assertNameFree, caRow, issuingValidity, signIssuingCa } from '../ca/hierarchy.ts';
import { hierarchyDeps } from '../app/init.ts';
import { BadRequest, PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import { insertCa } from '../store/repos/cas.ts';
import type { CasTable } from '../store/schema.ts';
import { parseCsr } from '../x509/csr.ts';
import { nameToAttributes } from '../x509/name.ts';

export interface SignRequestInput {
  csr: string | Uint8Array;
  /** Name under which this instance records the new CA. */
  name: string;
  parent: string;
  validityDays: number;
}

export async function signCaRequest(ctx: Context, input: SignRequestInput, actor: string, now = new Date()): Promise<CasTable> {
  return audited(ctx, actor, 'ca.sign-request', `ca:${input.name}`, async () => {
    const deps = hierarchyDeps(ctx);
    await assertNameFree(deps, input.name);
    const parent = await ctx.cas.byName(input.parent);
    if (parent.row.kind !== 'root') throw new BadRequest(`${input.parent} is not a root CA; issuing CAs are signed by a root`);
    const signer = parent.signer(ctx.passphrase);
    const csr = await parseCsr(input.csr);
    if (nameToAttributes(csr.subjectDer).length === 0) throw new BadRequest('the CSR has an empty subject; an issuing CA needs a name');
    if (csr.key.family === 'rsa' && csr.key.bits < 2048) throw new PolicyDenied(`an RSA key of ${csr.key.bits} bits is too weak for a CA`);
    const validity = issuingValidity(parent, input.validityDays, now);
    const der = await signIssuingCa(signer, parent, { spki: csr.spkiDer, subject: csr.subjectDer, ...validity }, ctx.config.publicUrl);
    const row = caRow(newId(), { name: input.name, keyType: csr.key.name }, 'issuing', parent.row.id, der, null);
    await ctx.ledger.submit((trx) => insertCa(trx, row), [
      { actor, action: 'ca.sign-request', target: `ca:${row.name}`, outcome: 'success', details: { parent: parent.row.name, subject: row.subject, serial: row.serial_hex, notAfter: row.not_after, keyType: row.key_type } },
    ]);
    return row;
  });
}
