// The first half of a batch signing: decide, before anything is issued, which device each
// CSR is for, under which profile, and into which file its certificate goes. Two CSRs that
// would land in the same file (the same device twice, or two serials that read the same once
// made safe for a file name) are caught here, in input order, so the second is refused
// rather than issued and then found to have nowhere to go.

import type { Context } from '../app/context.ts';
import { BadRequest, FleetPkiError, NotFound } from '../errors.ts';
import { getDeviceBySerial } from '../store/repos/devices.ts';
import { parseCsr } from '../x509/csr.ts';
import { nameAttribute } from '../x509/name.ts';
import type { CsrInput } from './csr-inputs.ts';
import type { Manifest } from './csr-manifest.ts';
import { pool } from './pool.ts';

export interface PlannedItem {
  input: CsrInput;
  serial: string;
  profile: string;
  deviceId: string;
  /** Output file name, relative to the output folder. */
  file: string;
}

export interface FailedEntry {
  csr: string;
  serial: string | null;
  reason: string;
  /** Set when the certificate was issued and recorded but its file could not be written. */
  certificateId?: string;
}

/** File names from serials: anything but letters, digits, dot, dash and underscore becomes _. */
export function fileNameFor(serial: string): string {
  return `${serial.replace(/[^A-Za-z0-9._-]/g, '_')}.pem`;
}

async function serialFor(input: CsrInput, manifest: Manifest | null): Promise<string> {
  const listed = manifest?.get(input.name)?.serial;
  if (listed) return listed;
  const serial = nameAttribute((await parseCsr(input.bytes)).subjectDer, 'serialNumber');
  if (!serial) throw new BadRequest(`${input.name} is in no manifest entry and its subject has no serialNumber: cannot tell which device it is for`);
  return serial;
}

async function planOne(ctx: Context, input: CsrInput, manifest: Manifest | null, defaultProfile: string | undefined): Promise<PlannedItem> {
  const serial = await serialFor(input, manifest);
  const profile = manifest?.get(input.name)?.profile ?? defaultProfile;
  if (!profile) throw new BadRequest(`no profile for ${input.name}: give --profile or a profile in the manifest`);
  const device = await getDeviceBySerial(ctx.db, serial);
  if (!device) throw new NotFound(`no device with serial ${serial}: register it first (fleetpki device import)`);
  return { input, serial, profile, deviceId: device.id, file: fileNameFor(serial) };
}

export async function planBatch(ctx: Context, inputs: CsrInput[], manifest: Manifest | null, defaultProfile: string | undefined, concurrency: number): Promise<{ planned: PlannedItem[]; failed: FailedEntry[] }> {
  const outcomes: Array<PlannedItem | FailedEntry> = new Array(inputs.length);
  await pool(inputs, concurrency, async (input, i) => {
    try {
      outcomes[i] = await planOne(ctx, input, manifest, defaultProfile);
    } catch (error) {
      if (!(error instanceof FleetPkiError)) throw error;
      outcomes[i] = { csr: input.name, serial: manifest?.get(input.name)?.serial ?? null, reason: error.message };
    }
  });
  const planned: PlannedItem[] = [];
  const failed: FailedEntry[] = [];
  // Keyed by output file: one file per device, and two serials that sanitise alike would overwrite each other.
  const claimed = new Map<string, PlannedItem>();
  for (const outcome of outcomes) {
    if (!('file' in outcome)) {
      failed.push(outcome);
      continue;
    }
    const first = claimed.get(outcome.file);
    if (first) {
      const why = first.serial === outcome.serial
        ? `it is for the same device (serial ${outcome.serial}) as ${first.input.name}; one certificate per device per batch`
        : `its serial ${outcome.serial} gives the same file name (${outcome.file}) as ${first.input.name} (serial ${first.serial})`;
      failed.push({ csr: outcome.input.name, serial: outcome.serial, reason: `duplicate in this batch: ${why}; ${first.input.name} is signed, this one is not` });
      continue;
    }
    claimed.set(outcome.file, outcome);
    planned.push(outcome);
  }
  return { planned, failed };
}
