// The RA's decision for one request, whatever protocol brought it: run the validators, then
// turn profile + device + CSR into exactly what the CA will sign.

import { PolicyDenied } from '../errors.ts';
import type { KeyUsageName } from '../x509/extensions.ts';
import type { KeyDescription } from '../x509/keys.ts';
import type { NameAttributes } from '../x509/name.ts';
import { formatSan, parseSan, type San } from '../x509/san.ts';
import { assertSerialKeptOut } from './privacy.ts';
import { validitySeconds } from './profile.ts';
import { renderTemplate } from './templates.ts';
import { runValidators, STANDARD_VALIDATORS, type EnrollmentContext, type Validator } from './validators.ts';

export interface ApprovedRequest {
  issuerId: string;
  subject: NameAttributes;
  sans: San[];
  spkiDer: Buffer;
  key: KeyDescription;
  notBefore: Date;
  notAfter: Date;
  renewAfter: Date;
  keyUsage: KeyUsageName[];
  extKeyUsage: string[];
  profile: string;
  deviceId: string;
  replacesId: string | null;
}

/** Tolerates device clocks a little behind ours without lengthening the lifetime's end. */
const BACKDATE_MS = 60_000;

/** Key usages that make sense for the key actually presented (RFC 5480, RFC 8410). */
function usagesForKey(usages: readonly KeyUsageName[], key: KeyDescription): KeyUsageName[] {
  return usages.filter((usage) => {
    if (usage === 'keyEncipherment' || usage === 'dataEncipherment') return key.family === 'rsa';
    if (usage === 'keyAgreement') return key.family === 'ec-p256' || key.family === 'ec-p384';
    return true;
  });
}

function uniqueSans(sans: San[]): San[] {
  const seen = new Map(sans.map((s) => [formatSan(s), s]));
  return [...seen.values()];
}

export interface ApproveInput {
  ctx: Omit<EnrollmentContext, 'templateSans'>;
  issuerNotBefore: Date;
  issuerNotAfter: Date;
  now: Date;
  replacesId?: string | null;
  /** Checks an enrollment authoriser adds (the CSR must match the proven identity), run after the standard ones. */
  validators?: Validator[];
}

export function approve({ ctx: base, issuerNotBefore, issuerNotAfter, now, replacesId = null, validators = [] }: ApproveInput): ApprovedRequest {
  const { profile, device, csr, issuer } = base;
  const templateSans = profile.san.templates.map((t) => parseSan(renderTemplate(t, device)));
  const ctx: EnrollmentContext = { ...base, templateSans };
  runValidators(ctx, validators.length > 0 ? [...STANDARD_VALIDATORS, ...validators] : STANDARD_VALIDATORS);

  const subject: NameAttributes = Object.entries(profile.subject).map(([attribute, template]) => [attribute, renderTemplate(template, device)]);
  const sans = uniqueSans([...templateSans, ...csr.requestedSans]);
  // On the names as they will be signed: the serial may come in through a value, not a template.
  assertSerialKeptOut(profile, device, subject, sans);
  const keyUsage = usagesForKey(profile.keyUsage, csr.key);
  if (keyUsage.length === 0) throw new PolicyDenied(`profile ${profile.name} grants no key usage that fits a ${csr.key.name} key`);

  const start = Math.floor(now.getTime() / 1000) * 1000;
  // At most a tenth of the lifetime, in whole seconds as certificates count time: a minute of
  // backdate on a lifetime of seconds would put the renewal point (a fraction of
  // notAfter - notBefore) before the certificate even exists.
  const backdate = Math.min(BACKDATE_MS, Math.floor(validitySeconds(profile) / 10) * 1000);
  const notBefore = new Date(Math.max(start - backdate, issuerNotBefore.getTime()));
  const notAfter = new Date(Math.min(start + validitySeconds(profile) * 1000, issuerNotAfter.getTime()));
  if (notAfter.getTime() <= start) throw new PolicyDenied(`issuing CA ${issuer.name} has expired; it cannot issue`);
  const renewAfter = new Date(notBefore.getTime() + Math.round((notAfter.getTime() - notBefore.getTime()) * profile.renewAfter));

  return {
    issuerId: issuer.id,
    subject,
    sans,
    spkiDer: csr.spkiDer,
    key: csr.key,
    notBefore,
    notAfter,
    renewAfter,
    keyUsage,
    extKeyUsage: profile.extKeyUsage,
    profile: profile.name,
    deviceId: device.id,
    replacesId,
  };
}
