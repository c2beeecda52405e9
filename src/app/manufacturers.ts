// Manufacturer trust anchors: the CA certificates that devices' IEEE 802.1AR birth
// certificates (IDevIDs) chain to. Registering one lets every device of that manufacturer
// that is also registered in the inventory enrol over EST without a shared secret.

import { BadRequest, Conflict } from '../errors.ts';
import { newId } from '../ids.ts';
import { getManufacturerByName, insertManufacturer, listManufacturers as listRows } from '../store/repos/manufacturers.ts';
import type { ManufacturersTable } from '../store/schema.ts';
import { parseCertificate } from '../x509/certificate.ts';
import { toPem } from '../x509/pem.ts';
import type { Context } from './context.ts';
import { audited } from './refusal.ts';

export async function addManufacturer(ctx: Context, name: string, certificate: string | Uint8Array, actor: string): Promise<ManufacturersTable> {
  return audited(ctx, actor, 'manufacturer.add', `manufacturer:${name}`, async () => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new BadRequest('a manufacturer name is 1 to 64 letters, digits, dots, dashes or underscores');
    const cert = parseCertificate(certificate);
    // An end-entity certificate as anchor would let one device vouch for others.
    if (!cert.isCa) throw new BadRequest(`certificate "${cert.subject}" is not a CA certificate (basicConstraints cA is not set); register the manufacturer's CA`);
    const row: ManufacturersTable = {
      id: newId(),
      name,
      subject: cert.subject,
      ski_hex: cert.subjectKeyId?.toString('hex') ?? '',
      certificate_der: cert.der,
      created_at: new Date().toISOString(),
    };
    await ctx.ledger.submit(async (trx) => {
      if (await getManufacturerByName(trx, name)) throw new Conflict(`a manufacturer named ${name} is already registered`);
      const same = (await listRows(trx)).find((m) => m.certificate_der.equals(cert.der));
      if (same) throw new Conflict(`this certificate is already registered as manufacturer ${same.name}`);
      await insertManufacturer(trx, row);
    }, [{ actor, action: 'manufacturer.add', target: `manufacturer:${row.id}`, outcome: 'success', details: { name, subject: row.subject, fingerprint: cert.fingerprintSha256 } }]);
    return row;
  });
}

export function listManufacturers(ctx: Context): Promise<ManufacturersTable[]> {
  return listRows(ctx.db);
}

export function manufacturerView(row: ManufacturersTable) {
  const cert = parseCertificate(row.certificate_der);
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    subjectKeyId: row.ski_hex,
    fingerprintSha256: cert.fingerprintSha256,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    certificatePem: toPem(row.certificate_der, 'CERTIFICATE'),
    createdAt: row.created_at,
  };
}
export type ManufacturerView = ReturnType<typeof manufacturerView>;
