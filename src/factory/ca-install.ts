// `fleetpki ca install` (online instance): the certificate signed offline comes back and the
// pending CA becomes usable. It must be for the pending key, be a CA certificate that may
// sign certificates, be valid now, and chain by name and signature to a root this instance
// has (imported with `ca import-root`). Only then do key and certificate enter the store.

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import { caView, type CaView } from '../app/cas.ts';
import { caRow } from '../ca/hierarchy.ts';
import { keyUsageBits, readTbs } from '../ca/tbs-view.ts';
import { BadRequest, Conflict } from '../errors.ts';
import { getCaByName, insertCa, listCas } from '../store/repos/cas.ts';
import type { CasTable } from '../store/schema.ts';
import { unsealPrivateKey } from '../signer/sealed-key.ts';
import { isSignedBy, parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { children, readTop, slice } from '../x509/der.ts';
import { EXTENSION_OIDS } from '../x509/extensions.ts';
import { readPending, removePending } from './pending-ca.ts';

export function assertMaySignCertificates(cert: CertificateInfo): void {
  if (!cert.isCa) throw new BadRequest('the certificate is not a CA certificate (basicConstraints cA is not set)');
  const tbs = readTbs(slice(cert.der, children(cert.der, readTop(cert.der))[0]));
  const ku = tbs.extensions.get(EXTENSION_OIDS.keyUsage);
  if (!ku || !keyUsageBits(ku.value).has('keyCertSign')) throw new BadRequest('the certificate does not allow keyCertSign: it cannot sign certificates');
  if (!cert.subjectKeyId) throw new BadRequest('the certificate has no subject key identifier');
}

export async function parentRoot(ctx: Context, cert: CertificateInfo): Promise<CasTable> {
  const roots = (await listCas(ctx.db)).filter((row) => row.kind === 'root' && row.status === 'active');
  const parent = roots.find((row) => parseCertificate(row.certificate_der).subjectDer.equals(cert.issuerDer) && isSignedBy(cert.der, row.certificate_der));
  if (!parent) throw new BadRequest(`the certificate (issuer "${cert.issuer}") does not chain to any root here; import the offline root first (fleetpki ca import-root)`);
  return parent;
}

export async function installIssuingCa(ctx: Context, name: string, certificate: string | Uint8Array, actor: string, now = new Date()): Promise<CaView> {
  return audited(ctx, actor, 'ca.install', `ca:${name}`, async () => {
    if (await getCaByName(ctx.db, name)) throw new Conflict(`a CA named ${name} already exists`);
    const pending = readPending(ctx.config.dataDir, name);
    const cert = parseCertificate(certificate);
    if (!cert.spkiDer.equals(Buffer.from(pending.spki, 'base64'))) throw new BadRequest(`the certificate is not for the key pending for ${name} (it certifies another key)`);
    assertMaySignCertificates(cert);
    if (now < cert.notBefore || now > cert.notAfter) throw new BadRequest(`the certificate is not valid now (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
    const parent = await parentRoot(ctx, cert);
    const sealed = Buffer.from(pending.sealedKey, 'base64');
    // A CA whose key this instance cannot open would be installed only to fail at its first signature.
    unsealPrivateKey(sealed, ctx.passphrase(), pending.id);
    const row = caRow(pending.id, { name, keyType: cert.key.name }, 'issuing', parent.id, cert.der, sealed);
    await ctx.ledger.submit((trx) => insertCa(trx, row), [
      { actor, action: 'ca.install', target: `ca:${name}`, outcome: 'success', details: { id: row.id, parent: parent.name, subject: row.subject, serial: row.serial_hex, notAfter: row.not_after } },
    ]);
    removePending(ctx.config.dataDir, name);
    return caView(row, parent.name);
  });
}
