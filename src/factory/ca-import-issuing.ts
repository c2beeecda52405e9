// `fleetpki ca import-issuing` (online instance): an issuing CA whose key lives on an offline
// machine, known here by its certificate only, so that what it signs there can be imported
// (`fleetpki cert import --bundle`), found and revoked here. Like `ca install` it must be a CA
// certificate that may sign certificates, valid now, chained by name and signature to an
// active root of this instance; unlike it, no key comes with it.

import type { Context } from '../app/context.ts';
import { caView, type CaView } from '../app/cas.ts';
import { audited } from '../app/refusal.ts';
import { caRow } from '../ca/hierarchy.ts';
import { BadRequest, Conflict } from '../errors.ts';
import { newId } from '../ids.ts';
import { getCaByName, insertCa, listCas } from '../store/repos/cas.ts';
import { parseCertificate } from '../x509/certificate.ts';
import { assertMaySignCertificates, parentRoot } from './ca-install.ts';

export async function importIssuingCa(ctx: Context, name: string, certificate: string | Uint8Array, actor: string, now = new Date()): Promise<CaView> {
  return audited(ctx, actor, 'ca.import', `ca:${name}`, async () => {
    if (await getCaByName(ctx.db, name)) throw new Conflict(`a CA named ${name} already exists`);
    const cert = parseCertificate(certificate);
    assertMaySignCertificates(cert);
    if (cert.issuerDer.equals(cert.subjectDer)) throw new BadRequest('the certificate is self-signed: a root is imported with `fleetpki ca import-root`');
    if (now < cert.notBefore || now > cert.notAfter) throw new BadRequest(`the certificate is not valid now (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
    // One CA, one row: a second name for the same certificate would split its inventory in two.
    const same = (await listCas(ctx.db)).find((row) => row.certificate_der.equals(cert.der));
    if (same) throw new Conflict(`this certificate is already CA ${same.name} here`);
    const parent = await parentRoot(ctx, cert);
    const row = caRow(newId(), { name, keyType: cert.key.name }, 'issuing', parent.id, cert.der, null);
    await ctx.ledger.submit((trx) => insertCa(trx, row), [
      { actor, action: 'ca.import', target: `ca:${name}`, outcome: 'success', details: { kind: 'issuing', id: row.id, parent: parent.name, subject: row.subject, serial: row.serial_hex, notAfter: row.not_after, hasKey: false } },
    ]);
    return caView(row, parent.name);
  });
}
