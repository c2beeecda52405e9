// The firmware manifest: what an image is (hash, size), which version it carries, which
// devices it is for, and from which installed version it may be applied. It is JSON, signed
// as the exact bytes of the file (a detached CMS signature beside it), so no canonical form
// is needed: the verifier checks the signature over the bytes before parsing them.

import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { compareSemVer, parseSemVer } from './semver.ts';
import { malformed, refuse } from './refusal.ts';

export const MANIFEST_FORMAT = 'fleetpki-firmware-manifest/1';

const Targets = Type.Object(
  {
    /** Device classes (inventory `device_class`) the image is for; empty means any class. */
    deviceClasses: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { uniqueItems: true }),
    /** Device models the image is for; empty means any model. */
    models: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const ManifestSchema = Type.Object(
  {
    format: Type.Literal(MANIFEST_FORMAT),
    image: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 255 }),
        sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        size: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    version: Type.String({ minLength: 1, maxLength: 128 }),
    /** The lowest installed version this image may be applied over (a required intermediate step). */
    minVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    targets: Targets,
    buildTime: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;

/** Meaning the schema cannot say: versions parse, a manifest names its targets. */
function meaningProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  for (const [field, text] of [['version', manifest.version], ['minVersion', manifest.minVersion]] as const) {
    if (text === undefined) continue;
    try {
      parseSemVer(text, field);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (manifest.targets.deviceClasses.length === 0 && manifest.targets.models.length === 0) {
    problems.push('targets: name at least one device class or model; an image for every device is refused');
  }
  if (problems.length === 0 && manifest.minVersion && compareSemVer(parseSemVer(manifest.minVersion), parseSemVer(manifest.version)) > 0) {
    problems.push(`minVersion ${manifest.minVersion} is above the image's own version ${manifest.version}`);
  }
  return problems;
}

export function manifestProblems(input: unknown): string[] {
  const shape = [...Value.Errors(ManifestSchema, input)].map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || 'manifest'}: ${e.message}`);
  return shape.length > 0 ? shape : meaningProblems(input as Manifest);
}

/** Builds a manifest and refuses it at once if it is not one a device would accept. */
export function buildManifest(fields: Omit<Manifest, 'format'>): { manifest: Manifest; bytes: Buffer } {
  const manifest: Manifest = { format: MANIFEST_FORMAT, ...fields };
  if (manifest.minVersion === undefined) delete manifest.minVersion;
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw malformed('manifest-format', `invalid manifest: ${problems.join('; ')}`);
  return { manifest, bytes: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) };
}

export function parseManifest(bytes: Uint8Array): Manifest {
  let input: unknown;
  try {
    input = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw malformed('manifest-format', `the manifest is not JSON: ${(error as Error).message}`);
  }
  const problems = manifestProblems(input);
  if (problems.length > 0) throw malformed('manifest-format', `invalid manifest: ${problems.join('; ')}`);
  return input as Manifest;
}

export interface DeviceFacts {
  deviceClass: string;
  model?: string | null;
  installedVersion: string;
}

/** The manifest's target and version rules applied to one device. */
export function checkManifestFitsDevice(manifest: Manifest, device: DeviceFacts): void {
  const { deviceClasses, models } = manifest.targets;
  if (deviceClasses.length > 0 && !deviceClasses.includes(device.deviceClass)) {
    throw refuse('device-class', `the image is for device classes ${deviceClasses.join(', ')}, not ${device.deviceClass}`);
  }
  if (models.length > 0 && !(device.model && models.includes(device.model))) {
    throw refuse('device-model', `the image is for models ${models.join(', ')}, not ${device.model ?? '(model not given)'}`);
  }
  const installed = parseSemVer(device.installedVersion, 'installed version');
  const version = parseSemVer(manifest.version);
  if (compareSemVer(version, installed) < 0) {
    throw refuse('rollback', `version ${manifest.version} is older than the installed ${device.installedVersion}: rollback refused`);
  }
  if (manifest.minVersion && compareSemVer(installed, parseSemVer(manifest.minVersion)) < 0) {
    throw refuse('min-version', `version ${manifest.version} may only be installed over ${manifest.minVersion} or later; ${device.installedVersion} is installed`);
  }
}
