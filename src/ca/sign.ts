import type { Signer } from '../signer/signer.ts';
import { encodeCertificate, encodeTbs, type TbsParts } from '../x509/certificate.ts';

export type UnsignedParts = Omit<TbsParts, 'signatureAlgorithm'>;

export function buildTbs(signer: Signer, parts: UnsignedParts): Buffer {
  return encodeTbs({ ...parts, signatureAlgorithm: signer.scheme.algorithmDer });
}

/** The one place a certificate gets its signature; `tbs` must have been linted. */
export async function signTbs(signer: Signer, tbs: Buffer): Promise<Buffer> {
  return encodeCertificate(tbs, signer.scheme.algorithmDer, await signer.sign(tbs));
}
