// The OCSP responder request of a CA kept offline: what `fleetpki ocsp request` writes on
// the online instance for the instance that holds the CA key (`fleetpki ocsp sign-request`).
// The responder key is made here, of the CA's key type (as SignerPool does for a CA with its
// key here), and stays here, sealed in ocsp_signer_requests; only a PKCS#10 request signed
// with it crosses, so the offline side sees proof of possession and signs nothing else. The
// file is not signed by anything the two instances share, so its SHA-256 is printed and
// audited on both sides for the operator to compare, as for a CRL request.

import { createPublicKey } from 'node:crypto';
import Type, { type Static } from 'typebox';
import type { Context } from '../app/context.ts';
import { parseOfflineFile } from '../app/offline-file.ts';
import { audited } from '../app/refusal.ts';
import { PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import { sealPrivateKey } from '../signer/sealed-key.ts';
import { SoftwareSigner } from '../signer/software.ts';
import { insertOcspSignerRequest } from '../store/repos/ocsp-signer-requests.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { buildSignedCsr } from '../x509/csr-build.ts';
import { isKeyType } from '../x509/keys.ts';
import { encodeName } from '../x509/name.ts';
import { toPem } from '../x509/pem.ts';
import { generateKey } from './signers.ts';

export const RESPONDER_REQUEST_FORMAT = 'fleetpki-ocsp-responder-request/1';
const MAX_REQUEST_BYTES = 64 * 1024;

const Iso = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' });

export const ResponderRequestSchema = Type.Object(
  {
    format: Type.Literal(RESPONDER_REQUEST_FORMAT),
    createdAt: Iso,
    /** The pending request's id online; the responder certificate's row there takes it. */
    requestId: Type.String({ minLength: 1, maxLength: 64 }),
    ca: Type.Object(
      {
        /** Its name on the online instance (the offline instance may call it otherwise). */
        name: Type.String({ minLength: 1, maxLength: 64 }),
        subject: Type.String(),
        /** SHA-256 of the CA certificate's DER: how the offline instance finds the CA. */
        certificateSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        /** Its subject key identifier, hex, for the operator to compare. */
        keyId: Type.String({ pattern: '^[0-9a-f]{2,128}$' }),
      },
      { additionalProperties: false },
    ),
    /** PKCS#10, PEM, signed by the responder key. */
    csr: Type.String({ minLength: 1, maxLength: 16 * 1024 }),
  },
  { additionalProperties: false },
);

export type ResponderRequest = Static<typeof ResponderRequestSchema>;

export interface ResponderRequestFile {
  request: ResponderRequest;
  bytes: Buffer;
  sha256: string;
}

/** Online: a responder key for an offline CA, sealed as a pending request, and the file to carry. Audited as ocsp.request. */
export async function buildResponderRequest(ctx: Context, caName: string, actor: string, now = new Date()): Promise<ResponderRequestFile> {
  return audited(ctx, actor, 'ocsp.request', `ca:${caName}`, async () => {
    const issuer = await ctx.cas.byName(caName);
    if (issuer.hasKey) throw new PolicyDenied(`CA ${caName} holds its key here and issues and renews its own OCSP responder certificate; an OCSP request is for a CA kept offline`);
    const id = newId();
    const privateKey = await generateKey(isKeyType(issuer.row.key_type) ? issuer.row.key_type : 'ec-p256');
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    const csr = await buildSignedCsr(encodeName([['CN', `${issuer.row.name.slice(0, 49)} OCSP Responder`]]), new SoftwareSigner(privateKey));
    const request: ResponderRequest = {
      format: RESPONDER_REQUEST_FORMAT,
      createdAt: now.toISOString(),
      requestId: id,
      ca: { name: issuer.row.name, subject: issuer.cert.subject, certificateSha256: issuer.cert.fingerprintSha256, keyId: issuer.keyId.toString('hex') },
      csr: toPem(csr, 'CERTIFICATE REQUEST'),
    };
    const bytes = Buffer.from(`${JSON.stringify(request, null, 2)}\n`);
    const digest = sha256Hex(bytes);
    const row = {
      id,
      ca_id: issuer.row.id,
      spki_sha256: sha256Hex(spki),
      encrypted_key: sealPrivateKey(privateKey, ctx.passphrase(), id, ctx.config.keys.scryptLog2N),
      request_sha256: digest,
      created_at: now.toISOString(),
    };
    await ctx.ledger.submit((trx) => insertOcspSignerRequest(trx, row), [
      { actor, action: 'ocsp.request', target: `ca:${caName}`, outcome: 'success', details: { request: id, sha256: digest, keyType: issuer.row.key_type, spkiSha256: row.spki_sha256 } },
    ]);
    return { request, bytes, sha256: digest };
  });
}

/** Offline: the request file read back, its shape checked before anything is done with it. */
export function parseResponderRequest(bytes: Buffer): ResponderRequestFile {
  const request = parseOfflineFile(bytes, ResponderRequestSchema, { name: 'OCSP responder request', article: 'an', format: RESPONDER_REQUEST_FORMAT, maxBytes: MAX_REQUEST_BYTES });
  return { request, bytes, sha256: sha256Hex(bytes) };
}
