// Reading an EST answer (RFC 7030 4.1.3, 4.2.3): a "certs-only" CMS SignedData (RFC 5652)
// with no signers, whose only payload is the certificates field. Read with the DER walker:
// ContentInfo { id-signedData, [0] SignedData { version, digestAlgorithms, encapContentInfo,
// [0] IMPLICIT certificates, ... } }.

import { children, oidToString, readTop, slice, TAG, value } from '../x509/der.ts';
import { AgentError } from './errors.ts';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';

export function certificatesOf(der: Buffer): Buffer[] {
  try {
    const [type, wrapped] = children(der, readTop(der));
    if (type?.tag !== TAG.OID || oidToString(value(der, type)) !== ID_SIGNED_DATA || wrapped?.tag !== TAG.CONTEXT_0) {
      throw new AgentError('not a CMS SignedData');
    }
    const [signedData] = children(der, wrapped);
    const certificates = children(der, signedData).find((part) => part.tag === TAG.CONTEXT_0);
    if (!certificates) return [];
    return children(der, certificates).filter((cert) => cert.tag === TAG.SEQUENCE).map((cert) => Buffer.from(slice(der, cert)));
  } catch (error) {
    throw new AgentError(`the server's answer is not a certs-only PKCS#7: ${(error as Error).message}`);
  }
}

/** EST bodies are base64 (Content-Transfer-Encoding: base64); some servers send DER as is. */
export function decodeEstBody(body: Buffer): Buffer {
  if (body[0] === 0x30) return body;
  const text = body.toString('latin1').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new AgentError('the server answered neither base64 nor DER');
  return Buffer.from(text, 'base64');
}
