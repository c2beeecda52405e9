// Profiles: the policy for one class of certificate. Stored as JSON, edited through the API
// and CLI, validated here once (shape by schema, meaning by `checkProfile`).

import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { BadRequest } from '../errors.ts';
import { KEY_USAGES, extKeyUsageOid } from '../x509/extensions.ts';
import { KEY_FAMILIES } from '../x509/keys.ts';
import { isNameAttribute } from '../x509/name.ts';
import { parseSan } from '../x509/san.ts';
import { parseDuration } from './duration.ts';
import { templateFields } from './templates.ts';

export const ProfileSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    /** Name of the issuing CA. */
    ca: Type.String({ minLength: 1 }),
    keys: Type.Object(
      {
        allowed: Type.Array(Type.Enum(KEY_FAMILIES), { minItems: 1, uniqueItems: true }),
        rsaMinBits: Type.Integer({ minimum: 2048, maximum: 16384, default: 2048 }),
      },
      { additionalProperties: false },
    ),
    /** Lifetime, e.g. "15m", "30d", "1y". */
    validity: Type.String(),
    /** Renew once this fraction of the lifetime has passed. */
    renewAfter: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.66 }),
    /** Subject attributes in order (C, O, OU, CN, serialNumber...), values may use {{device.*}}. */
    subject: Type.Record(Type.String(), Type.String({ minLength: 1 })),
    san: Type.Object(
      {
        /** SANs every certificate gets, e.g. "uri:urn:fleetpki:device:{{device.id}}". */
        templates: Type.Array(Type.String(), { default: [] }),
        /** Extra SANs a CSR may request, e.g. "dns:*.sensors.example.com"; anything else is refused. */
        allowRequested: Type.Array(Type.String(), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    keyUsage: Type.Array(Type.Enum(KEY_USAGES), { minItems: 1, uniqueItems: true }),
    extKeyUsage: Type.Array(Type.String(), { default: [] }),
    /** Keep stable hardware identifiers (the device serial) out of subject and SANs. */
    privacy: Type.Boolean({ default: false }),
    /** Device classes allowed to use this profile; empty means any. */
    deviceClasses: Type.Array(Type.String(), { default: [] }),
    /**
     * Device environments (production, lab...) allowed to use this profile; empty means any.
     * A profile's CA is trusted by the devices of some environments only: this keeps a lab
     * device from holding a certificate production devices trust, and the other way round.
     */
    environments: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  },
  { additionalProperties: false },
);

export type Profile = Static<typeof ProfileSchema>;

/** What the schema error alone does not say: the values allowed, the keys not known. */
function hint(params: unknown): string {
  const { allowedValues, additionalProperties } = (params ?? {}) as { allowedValues?: unknown; additionalProperties?: unknown };
  if (Array.isArray(allowedValues)) return ` (${allowedValues.join(', ')})`;
  if (Array.isArray(additionalProperties)) return `: ${additionalProperties.join(', ')}`;
  return '';
}

function shapeProblems(input: unknown): string[] {
  return [...Value.Errors(ProfileSchema, input)]
    .filter((e) => e.message !== 'schema is false')
    .map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || 'profile'}: ${e.message}${hint(e.params)}`);
}

/**
 * SAN templates and patterns are parsed at issuance; a broken one must be refused here, or
 * every device using the profile would be refused for the operator's mistake.
 */
function sanProblems(profile: Profile): string[] {
  const problems: string[] = [];
  for (const template of profile.san.templates) {
    // With placeholders only the kind can be checked here: the value is whatever the device's fields make it.
    const kind = template.slice(0, Math.max(template.indexOf(':'), 0));
    if (templateFields(template).length > 0 && !['dns', 'ip', 'uri', 'email'].includes(kind)) {
      problems.push(`san.templates: "${template}" is not a SAN template; write dns:, ip:, uri: or email: before the value`);
      continue;
    }
    if (templateFields(template).length > 0) continue;
    try {
      parseSan(template);
    } catch (error) {
      problems.push(`san.templates: ${(error as Error).message}`);
    }
  }
  for (const pattern of profile.san.allowRequested) {
    try {
      parseSan(pattern);
    } catch (error) {
      problems.push(`san.allowRequested: ${(error as Error).message}`);
    }
  }
  return problems;
}

function meaningProblems(profile: Profile): string[] {
  const problems: string[] = [];
  try {
    parseDuration(profile.validity);
  } catch (error) {
    problems.push(`validity: ${(error as Error).message}`);
  }
  for (const attribute of Object.keys(profile.subject)) {
    if (!isNameAttribute(attribute)) problems.push(`subject: unknown attribute ${attribute}`);
  }
  for (const usage of profile.extKeyUsage) {
    try {
      extKeyUsageOid(usage);
    } catch (error) {
      problems.push(`extKeyUsage: ${(error as Error).message}`);
    }
  }
  if (profile.keyUsage.includes('keyCertSign') || profile.keyUsage.includes('cRLSign')) {
    problems.push('keyUsage: keyCertSign and cRLSign are for CA certificates, not profiles');
  }
  const templates = [...Object.values(profile.subject), ...profile.san.templates];
  if (profile.privacy && (templates.some((t) => templateFields(t).includes('device.serial')) || 'serialNumber' in profile.subject)) {
    problems.push('privacy: this profile keeps device serial numbers out of certificates, but a subject or SAN template uses one');
  }
  for (const template of templates) {
    for (const field of templateFields(template)) {
      if (!/^device\.(id|serial|model|class|environment|site|owner)$|^meta\.[A-Za-z0-9_-]+$/.test(field)) {
        problems.push(`template field {{${field}}} is unknown; use device.id, device.serial, device.model, device.class, device.environment, device.site, device.owner or meta.<key>`);
      }
    }
  }
  problems.push(...sanProblems(profile));
  if (Object.keys(profile.subject).length === 0 && profile.san.templates.length === 0) {
    problems.push('a profile needs a subject attribute or a SAN template, or certificates would have no name');
  }
  return problems;
}

/** Validates a profile definition (from API, CLI or store) and fills its defaults. */
export function checkProfile(input: unknown): Profile {
  const withDefaults = Value.Default(ProfileSchema, structuredClone(input)) as Profile;
  const problems = shapeProblems(withDefaults);
  if (problems.length === 0) problems.push(...meaningProblems(withDefaults));
  if (problems.length > 0) throw new BadRequest(`invalid profile: ${problems.join('; ')}`, { problems });
  return withDefaults;
}

export function validitySeconds(profile: Profile): number {
  return parseDuration(profile.validity);
}
