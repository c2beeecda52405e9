// `fleetpki ca request` (online instance): an issuing CA whose parent root lives offline. The
// key is generated here and never leaves: it is sealed into the pending file, and only a
// CSR crosses the air gap.

import type { Context } from '../app/context.ts';
import { hierarchyDeps } from '../app/init.ts';
import { audited } from '../app/refusal.ts';
import { assertNameFree, caName, seal } from '../ca/hierarchy.ts';
import type { CaSpec } from '../config/schema.ts';
import { newId } from '../ids.ts';
import { SoftwareSigner } from '../signer/software.ts';
import { buildSignedCsr } from '../x509/csr-build.ts';
import { generateKeyPair } from '../x509/keys.ts';
import { encodeName } from '../x509/name.ts';
import { toPem } from '../x509/pem.ts';
import { writePending } from './pending-ca.ts';

export type CaRequestSpec = Omit<CaSpec, 'validityDays'>;

export async function requestIssuingCa(ctx: Context, spec: CaRequestSpec, actor: string): Promise<{ csrPem: string; pendingFile: string }> {
  return audited(ctx, actor, 'ca.request', `ca:${spec.name}`, async () => {
    const deps = hierarchyDeps(ctx);
    await assertNameFree(deps, spec.name);
    const id = newId();
    const { privateKey, publicKey } = generateKeyPair(spec.keyType);
    const csrPem = toPem(await buildSignedCsr(encodeName(caName(spec)), new SoftwareSigner(privateKey)), 'CERTIFICATE REQUEST');
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const pendingFile = writePending(ctx.config.dataDir, {
      v: 1,
      id,
      name: spec.name,
      keyType: spec.keyType,
      commonName: spec.commonName,
      ...(spec.organization ? { organization: spec.organization } : {}),
      sealedKey: seal(deps, privateKey, id).toString('base64'),
      spki: spki.toString('base64'),
      csrPem,
      createdAt: new Date().toISOString(),
    });
    await ctx.ledger.audit([{ actor, action: 'ca.request', target: `ca:${spec.name}`, outcome: 'success', details: { id, keyType: spec.keyType, pendingFile } }]);
    return { csrPem, pendingFile };
  });
}
