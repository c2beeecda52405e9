// One row of a bulk device file to a DeviceInput, validated once here. A row may use the REST
// API's names (externalSerial, deviceClass, metadata) or the CLI's (serial, class, meta.<key>
// columns), so a CSV typed by hand and a JSON export of the API both import.

import Type from 'typebox';
import Value from 'typebox/value';
import type { DeviceInput } from '../app/devices.ts';
import type { Criticality } from '../store/schema.ts';

const Label = Type.String({ minLength: 1, maxLength: 128 });

const DeviceRowSchema = Type.Object(
  {
    externalSerial: Label,
    deviceClass: Label,
    environment: Label,
    model: Type.Optional(Label),
    site: Type.Optional(Label),
    owner: Type.Optional(Label),
    criticality: Type.Optional(Type.Enum(['low', 'medium', 'high', 'critical'])),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    // Whether the name is registered is the import's check (device-import.ts), against the store.
    manufacturer: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const ALIASES: Record<string, string> = { serial: 'externalSerial', class: 'deviceClass' };

export interface RowDefaults {
  deviceClass?: string;
  environment?: string;
}

/** Renames aliases, gathers meta.<key> fields into metadata, fills the defaults. */
function normalise(values: Record<string, unknown>, defaults: RowDefaults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith('meta.') && key.length > 5) metadata[key.slice(5)] = value;
    else out[ALIASES[key] ?? key] = value;
  }
  if (Object.keys(metadata).length > 0) {
    const given = out.metadata && typeof out.metadata === 'object' ? out.metadata : {};
    out.metadata = { ...given, ...metadata };
  }
  out.deviceClass ??= defaults.deviceClass;
  out.environment ??= defaults.environment;
  for (const key of Object.keys(out)) if (out[key] === undefined || out[key] === null) delete out[key];
  return out;
}

/** The row as a DeviceInput, or the reasons it is not one (every problem, not just the first). */
export function deviceFromRow(values: Record<string, unknown>, defaults: RowDefaults): { input: DeviceInput } | { problems: string[] } {
  const row = normalise(values, defaults);
  const problems = [...Value.Errors(DeviceRowSchema, row)].map((e) => {
    const extra = (e.params as { additionalProperties?: unknown } | undefined)?.additionalProperties;
    const where = e.instancePath.slice(1) || 'row';
    return `${where}: ${e.message}${Array.isArray(extra) ? `: ${extra.join(', ')}` : ''}`;
  });
  if (problems.length > 0) return { problems };
  return {
    input: {
      externalSerial: row.externalSerial as string,
      deviceClass: row.deviceClass as string,
      environment: row.environment as string,
      model: (row.model as string | undefined) ?? null,
      site: (row.site as string | undefined) ?? null,
      owner: (row.owner as string | undefined) ?? null,
      criticality: row.criticality as Criticality | undefined,
      metadata: row.metadata as Record<string, unknown> | undefined,
      manufacturer: (row.manufacturer as string | undefined) ?? null,
    },
  };
}
