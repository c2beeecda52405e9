// Small, composable policy checks applied in order before anything is signed (the way
// step-ca's sign options work). Each throws PolicyDenied with a reason a person understands.

import { PolicyDenied } from '../errors.ts';
import type { CasTable, DevicesTable } from '../store/schema.ts';
import type { ParsedCsr } from '../x509/csr.ts';
import { formatSan, type San } from '../x509/san.ts';
import type { Profile } from './profile.ts';

export interface EnrollmentContext {
  csr: ParsedCsr;
  profile: Profile;
  device: DevicesTable;
  issuer: CasTable;
  /** SANs the profile's templates produce for this device. */
  templateSans: San[];
}

export type Validator = (ctx: EnrollmentContext) => void;

export const deviceMayEnroll: Validator = ({ device }) => {
  if (device.status === 'suspended') throw new PolicyDenied(`device ${device.id} is suspended; reactivate it before issuing`);
  if (device.status === 'decommissioned') throw new PolicyDenied(`device ${device.id} is decommissioned and can never be issued a certificate again`);
};

export const deviceClassAllowed: Validator = ({ device, profile }) => {
  if (profile.deviceClasses.length > 0 && !profile.deviceClasses.includes(device.device_class)) {
    throw new PolicyDenied(`profile ${profile.name} is not for device class ${device.device_class} (allowed: ${profile.deviceClasses.join(', ')})`);
  }
};

// Environments are where trust is separated (a lab CA, a production CA): the profile says which
// devices its CA's certificates are for, and a device of any other environment is refused.
export const deviceEnvironmentAllowed: Validator = ({ device, profile }) => {
  if (profile.environments.length > 0 && !profile.environments.includes(device.environment)) {
    throw new PolicyDenied(
      `profile ${profile.name} is not for devices in environment ${device.environment} (allowed: ${profile.environments.join(', ')})`,
      { environment: device.environment, allowed: profile.environments },
    );
  }
};

export const issuerUsable: Validator = ({ issuer, profile }) => {
  if (issuer.status !== 'active') throw new PolicyDenied(`issuing CA ${issuer.name} of profile ${profile.name} is retired`);
  if (!issuer.encrypted_key) throw new PolicyDenied(`CA ${issuer.name} has no key here (offline CA); it cannot issue online`);
  if (issuer.kind !== 'issuing') throw new PolicyDenied(`profile ${profile.name} points at ${issuer.name}, a root CA; device certificates come from issuing CAs`);
};

export const keyAllowed: Validator = ({ csr, profile }) => {
  const { key } = csr;
  if (!profile.keys.allowed.includes(key.family)) {
    throw new PolicyDenied(`key type ${key.name} is not allowed by profile ${profile.name} (allowed: ${profile.keys.allowed.join(', ')})`);
  }
  const minimum = Math.max(2048, profile.keys.rsaMinBits);
  if (key.family === 'rsa' && key.bits < minimum) {
    throw new PolicyDenied(`RSA key of ${key.bits} bits is too weak: profile ${profile.name} requires at least ${minimum}`);
  }
};

function sanMatches(pattern: string, san: string): boolean {
  if (pattern === san) return true;
  if (!pattern.startsWith('dns:*.')) return false;
  const suffix = pattern.slice('dns:*'.length);
  return san.startsWith('dns:') && san.endsWith(suffix) && !san.slice(4, -suffix.length).includes('.') && san.length > 4 + suffix.length;
}

export const requestedNamesAllowed: Validator = ({ csr, profile, templateSans }) => {
  const granted = new Set(templateSans.map(formatSan));
  for (const requested of csr.requestedSans.map(formatSan)) {
    if (granted.has(requested)) continue;
    // "dns:*.x" in a profile stands for any one label; the literal wildcard would let one
    // device answer for every name under x, so it is never granted on request.
    if (requested.startsWith('dns:*')) {
      throw new PolicyDenied(`SAN ${requested} is a wildcard name; profile ${profile.name} grants single names only`, { san: requested });
    }
    if (!profile.san.allowRequested.some((pattern) => sanMatches(pattern, requested))) {
      throw new PolicyDenied(`SAN ${requested} is not allowed by profile ${profile.name}`, { san: requested });
    }
  }
};

export const STANDARD_VALIDATORS: Validator[] = [deviceMayEnroll, deviceClassAllowed, deviceEnvironmentAllowed, issuerUsable, keyAllowed, requestedNamesAllowed];

export function runValidators(ctx: EnrollmentContext, validators: Validator[] = STANDARD_VALIDATORS): void {
  for (const validator of validators) validator(ctx);
}
