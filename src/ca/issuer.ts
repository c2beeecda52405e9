// An issuing (or root) CA as the signing path needs it: certificate parsed once, constant
// extensions encoded once, key unsealed on first use and kept in memory only.

import { NotFound } from '../errors.ts';
import type { Signer } from '../signer/signer.ts';
import { SoftwareSigner } from '../signer/software.ts';
import { unsealPrivateKey } from '../signer/sealed-key.ts';
import type { CasTable } from '../store/schema.ts';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { authorityInfoAccess, authorityKeyIdentifier, crlDistributionPoint } from '../x509/extensions.ts';
import { caUrls, crlPartitionUrl } from './urls.ts';

export class Issuer {
  readonly row: CasTable;
  readonly cert: CertificateInfo;
  readonly keyId: Buffer;
  /** Extensions every certificate this CA signs carries, pre-encoded (the CRL DP depends on the partition: crlDpFor). */
  readonly childExtensions: { aki: Buffer; aia: Buffer };
  readonly publicUrl: string;
  #signer: Signer | null = null;
  readonly #partitionDps = new Map<string, Buffer>();

  constructor(row: CasTable, publicUrl: string) {
    this.row = row;
    this.publicUrl = publicUrl;
    this.cert = parseCertificate(row.certificate_der);
    if (!this.cert.subjectKeyId) throw new Error(`CA ${row.name} certificate has no subject key identifier`);
    this.keyId = this.cert.subjectKeyId;
    const urls = caUrls(publicUrl, row.name);
    this.childExtensions = {
      aki: authorityKeyIdentifier(this.keyId),
      aia: authorityInfoAccess({ ocsp: urls.ocsp, caIssuers: urls.caIssuers }),
    };
  }

  /** The CRL distribution point of a certificate in this CRL partition, encoded once per partition. */
  crlDpFor(partition: string): Buffer {
    let der = this.#partitionDps.get(partition);
    if (!der) {
      der = crlDistributionPoint(crlPartitionUrl(this.publicUrl, this.row.name, partition));
      this.#partitionDps.set(partition, der);
    }
    return der;
  }

  get hasKey(): boolean {
    return this.row.encrypted_key !== null;
  }

  signer(passphrase: () => string): Signer {
    if (this.#signer) return this.#signer;
    if (!this.row.encrypted_key) throw new NotFound(`CA ${this.row.name} has no private key here (offline CA)`);
    this.#signer = new SoftwareSigner(unsealPrivateKey(this.row.encrypted_key, passphrase(), this.row.id));
    return this.#signer;
  }
}
