// One signed OCSP response: statuses as of `now`, valid for the configured time but never past
// the signer certificate's notAfter (RFC 5019 4: nextUpdate is always set), with the signer
// certificate in certs so that clients can verify the delegation (RFC 6960 4.2.2.2).

import { createHash } from 'node:crypto';
import type { CertId } from '../x509/ocsp-request.ts';
import { encodeOcspResponse, encodeResponseData, encodeSingleResponse, type CertStatus } from '../x509/ocsp.ts';
import type { HttpCaching } from './cache.ts';
import type { OcspSigner } from './signers.ts';

export interface Answered {
  certId: CertId;
  status: CertStatus;
}

export interface SignedResponse {
  der: Buffer;
  caching: HttpCaching;
}

export async function signResponse(signer: OcspSigner, answers: Answered[], extensions: Buffer[], now: Date, validityMs: number): Promise<SignedResponse> {
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(Math.min(thisUpdate.getTime() + validityMs, signer.notAfter.getTime()));
  const tbs = encodeResponseData({
    responderKeyHash: signer.responderKeyHash,
    producedAt: thisUpdate,
    responses: answers.map((answer) => encodeSingleResponse({ certId: answer.certId.der, status: answer.status, thisUpdate, nextUpdate })),
    extensions,
  });
  const signature = await signer.signer.sign(tbs);
  const der = encodeOcspResponse(tbs, signer.signer.scheme.algorithmDer, signature, [signer.certificateDer]);
  return {
    der,
    caching: {
      thisUpdate,
      nextUpdate,
      lastModified: thisUpdate.toUTCString(),
      expires: nextUpdate.toUTCString(),
      etag: `"${createHash('sha256').update(der).digest('base64url').slice(0, 27)}"`,
    },
  };
}
