// Server-side key generation (RFC 7030 4.4) for devices that cannot make good keys: the
// client's CSR says what to name, fleetpki makes the key and a CSR of its own for it, and
// that CSR takes the normal issuing path under the client's grant. The key is returned to
// the caller and nowhere kept.

import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { BadRequest } from '../errors.ts';
import type { EnrollmentRequest } from '../ra/authorisers/index.ts';
import type { Profile } from '../ra/profile.ts';
import type { CertificatesTable } from '../store/schema.ts';
import { buildCsr } from '../x509/csr-build.ts';
import { readCsrContents } from '../x509/csr-contents.ts';
import type { Context } from './context.ts';
import { authoriseEnrollment, issueUnderGrant } from './enrollment.ts';
import { getProfile } from './profiles.ts';
import { audited } from './refusal.ts';

const generate = promisify(generateKeyPair);

/** id-aa-decryptKeyID and id-aa-asymmDecryptKeyID (RFC 7030 4.4.1.1, 4.4.1.2): the client wants the key encrypted. */
const ENCRYPTION_REQUESTS = ['1.2.840.113549.1.9.16.2.37', '1.2.840.113549.1.9.16.2.54'];

type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

/** The first key type the profile allows, in order of preference; generated off the main thread. */
function generateFor(profile: Profile): Promise<KeyPair> {
  const allowed = profile.keys.allowed;
  if (allowed.includes('ec-p256')) return generate('ec', { namedCurve: 'P-256' });
  if (allowed.includes('ec-p384')) return generate('ec', { namedCurve: 'P-384' });
  if (allowed.includes('ed25519')) return generate('ed25519', {});
  return generate('rsa', { modulusLength: Math.max(2048, profile.keys.rsaMinBits) });
}

export async function enrollWithServerKey(ctx: Context, request: EnrollmentRequest, csr: string | Uint8Array): Promise<{ certificate: CertificatesTable; privateKey: KeyObject }> {
  const authorised = await authoriseEnrollment(ctx, request);
  const { grant, actor } = authorised;
  const ownCsr = await audited(ctx, actor, 'certificate.issue', `device:${grant.deviceId}`, async () => {
    const contents = readCsrContents(csr);
    if (contents.attributeTypes.some((type) => ENCRYPTION_REQUESTS.includes(type))) {
      throw new BadRequest('the CSR asks for the server-generated key to be encrypted; fleetpki returns it protected by TLS only, send the CSR without DecryptKeyIdentifier / AsymmetricDecryptKeyIdentifier');
    }
    const key = await generateFor(await getProfile(ctx, grant.profile));
    return { key, der: buildCsr(key, { subjectDer: contents.subjectDer }, contents.requestedSans) };
  });
  const certificate = await issueUnderGrant(ctx, authorised, ownCsr.der);
  return { certificate, privateKey: ownCsr.key.privateKey };
}
