// GET /csrattrs (RFC 7030 4.5, RFC 9908): what a CSR for the profile should carry, the key
// type and the signature algorithm that goes with it. The profile is the label's, else
// est.defaultProfile; with neither there is nothing to say (204, RFC 7030 4.5.2).

import type { Context } from '../../app/context.ts';
import { getProfile } from '../../app/profiles.ts';
import type { Profile } from '../../ra/profile.ts';
import { unsignedInteger } from '../../x509/der.ts';
import { encodeCsrAttrs, oidDer, type CsrAttr } from '../../x509/csrattrs.ts';
import { OID } from '../../x509/oids.ts';
import { labelOf, labelProfile, operationPaths } from '../labels.ts';
import { CSRATTRS, sendBase64 } from '../responses.ts';
import type { EstApp } from '../types.ts';

const SECP256R1 = '1.2.840.10045.3.1.7';
const SECP384R1 = '1.3.132.0.34';

/** The preferred key of the profile, in the order server-side key generation prefers them too. */
export function csrAttributesFor(profile: Profile): CsrAttr[] {
  const allowed = profile.keys.allowed;
  if (allowed.includes('ec-p256')) return [{ type: OID.ecPublicKey, values: [oidDer(SECP256R1)] }, OID.ecdsaWithSha256];
  if (allowed.includes('ec-p384')) return [{ type: OID.ecPublicKey, values: [oidDer(SECP384R1)] }, OID.ecdsaWithSha384];
  if (allowed.includes('ed25519')) return [OID.ed25519];
  const bits = Math.max(2048, profile.keys.rsaMinBits);
  const hex = bits.toString(16);
  return [{ type: OID.rsaEncryption, values: [unsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'))] }, OID.sha256WithRsa];
}

export function csrattrsRoutes(app: EstApp, ctx: Context): void {
  for (const url of operationPaths('csrattrs')) {
    app.get(url, async (request, reply) => {
      const label = labelOf(request);
      const name = label ?? ctx.config.est.defaultProfile;
      const profile = label ? await labelProfile(ctx, label) : name ? await getProfile(ctx, name) : null;
      if (!profile) return reply.code(204).send();
      return sendBase64(reply, CSRATTRS, encodeCsrAttrs(csrAttributesFor(profile)));
    });
  }
}
