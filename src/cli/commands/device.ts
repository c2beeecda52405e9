// `fleetpki device ...`: the inventory. Every change is an audit event with the CLI user
// as actor (see session.ts).

import { Option, type Command } from 'commander';
import {
  createDevice,
  decommissionDevice,
  getDevice,
  reactivateDevice,
  suspendDevice,
  updateDevice,
  type DeviceInput,
  type DeviceUpdate,
} from '../../app/devices.ts';
import { deviceView, type DeviceView } from '../../app/views.ts';
import { DECOMMISSION_REASONS, type DecommissionReason } from '../../inventory/device-states.ts';
import { listCertificatesForDevice } from '../../store/repos/certificates.ts';
import { searchDevices, type DeviceFilter } from '../../store/repos/devices.ts';
import type { Criticality, DeviceStatus } from '../../store/schema.ts';
import { UsageError } from '../errors.ts';
import { keyValues, pagingNote, table } from '../output.ts';
import { keyValue, pageLimit } from '../parse.ts';
import { withSession, type Session } from '../session.ts';
import { registerBootstrapToken } from './bootstrap-token.ts';
import { registerDeviceImport } from './device-import.ts';

const CRITICALITIES: Criticality[] = ['low', 'medium', 'high', 'critical'];
const STATUSES: DeviceStatus[] = ['registered', 'active', 'suspended', 'decommissioned'];

function deviceDetails(d: DeviceView): string {
  return keyValues(Object.entries(d));
}

function deviceTable(devices: DeviceView[]): string {
  return table(
    ['id', 'serial', 'class', 'environment', 'status', 'site', 'owner', 'criticality'],
    devices.map((d) => [d.id, d.externalSerial, d.deviceClass, d.environment, d.status, d.site, d.owner, d.criticality]),
  );
}

/** Options shared by create and update; `create` makes three of them required. */
function fieldOptions(cmd: Command, create: boolean): Command {
  const need = (flag: string, text: string) => (create ? cmd.requiredOption(flag, text) : cmd.option(flag, text));
  need('--class <class>', 'device class, e.g. sensor, gateway (profiles may be limited to classes)');
  need('--environment <env>', 'environment, e.g. production, lab');
  return cmd
    .option('--model <model>', 'hardware model' + (create ? '' : ' ("" clears it)'))
    .option('--site <site>', 'site or location' + (create ? '' : ' ("" clears it)'))
    .option('--owner <owner>', 'owning team or person' + (create ? '' : ' ("" clears it)'))
    .addOption(new Option('--criticality <level>', 'how much a failure of this device matters').choices(CRITICALITIES))
    .option('--manufacturer <name>', 'registered manufacturer whose IDevIDs alone may enrol the device' + (create ? ' (default: any registered one)' : ' ("" removes the binding)'))
    .option('--meta <key=value>', 'metadata entry; repeat for several' + (create ? '' : ' (key= removes the key)'), keyValue);
}

interface FieldOptions {
  class?: string;
  environment?: string;
  model?: string;
  site?: string;
  owner?: string;
  criticality?: Criticality;
  manufacturer?: string;
  meta?: Record<string, string>;
}

function registerCreate(group: Command): void {
  const cmd = group
    .command('create')
    .summary('register a device in the inventory')
    .requiredOption('--serial <serial>', "the device's own serial number (unique)")
    .addHelpText('after', '\nExample:\n  $ fleetpki device create --serial SN-0042 --class sensor --environment production --site plant-1 --meta fw=1.4.2');
  fieldOptions(cmd, true).action((o: FieldOptions & { serial: string }, c: Command) =>
    withSession(c, async ({ ctx, out, actor }) => {
      const input: DeviceInput = { externalSerial: o.serial, deviceClass: o.class!, environment: o.environment!, model: o.model, site: o.site, owner: o.owner, criticality: o.criticality, metadata: o.meta, manufacturer: o.manufacturer };
      const device = deviceView(await createDevice(ctx, input, actor));
      out.result(device, () => `registered device ${device.id}\n${deviceDetails(device)}`);
    }),
  );
}

/** "" clears an optional text field; undefined leaves it unchanged. */
const clearable = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);

async function buildUpdate(session: Session, id: string, o: FieldOptions): Promise<DeviceUpdate> {
  const update: DeviceUpdate = { deviceClass: o.class, environment: o.environment, model: clearable(o.model), site: clearable(o.site), owner: clearable(o.owner), criticality: o.criticality, manufacturer: clearable(o.manufacturer) };
  if (o.meta) {
    const metadata = deviceView(await getDevice(session.ctx, id)).metadata;
    for (const [key, value] of Object.entries(o.meta)) {
      if (value === '') delete metadata[key];
      else metadata[key] = value;
    }
    update.metadata = metadata;
  }
  if (Object.values(update).every((v) => v === undefined)) throw new UsageError('nothing to update: give at least one of --class, --environment, --model, --site, --owner, --criticality, --manufacturer, --meta');
  return update;
}

function registerUpdate(group: Command): void {
  const cmd = group
    .command('update <id>')
    .summary("change a device's inventory fields (metadata is merged)")
    .addHelpText('after', '\nExample:\n  $ fleetpki device update 0199... --owner ops-team --meta fw=1.5.0 --meta legacy=');
  fieldOptions(cmd, false).action((id: string, o: FieldOptions, c: Command) =>
    withSession(c, async (session) => {
      const device = deviceView(await updateDevice(session.ctx, id, await buildUpdate(session, id, o), session.actor));
      session.out.result(device, () => `updated device ${device.id}\n${deviceDetails(device)}`);
    }),
  );
}

interface ListOptions {
  status?: DeviceStatus;
  class?: string;
  environment?: string;
  site?: string;
  owner?: string;
  criticality?: Criticality;
  q?: string;
  limit: number;
  after?: string;
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('list devices, oldest first, with filters and paging')
    .addOption(new Option('--status <status>', 'only devices in this state').choices(STATUSES))
    .option('--class <class>', 'only this device class')
    .option('--environment <env>', 'only this environment')
    .option('--site <site>', 'only this site')
    .option('--owner <owner>', 'only this owner')
    .addOption(new Option('--criticality <level>', 'only this criticality').choices(CRITICALITIES))
    .option('--q <text>', 'case-insensitive text in id, serial, model or owner')
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 100)
    .option('--after <cursor>', 'continue after this cursor (printed at the end of the previous page)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki device list --environment production --status active\n  $ fleetpki device list --q SN-00 --limit 20 --json')
    .action((o: ListOptions, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const filter: DeviceFilter = { status: o.status, deviceClass: o.class, environment: o.environment, site: o.site, owner: o.owner, criticality: o.criticality, q: o.q };
        const page = await searchDevices(ctx.db, filter, { limit: o.limit, after: o.after });
        const items = page.items.map(deviceView);
        out.result({ items, nextCursor: page.nextCursor }, () => deviceTable(items));
        pagingNote(out, page.nextCursor);
      }),
    );
}

function registerShow(group: Command): void {
  group
    .command('show <id>')
    .summary('show a device and (in human output) the certificates it holds')
    .action((id: string, _o, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const device = deviceView(await getDevice(ctx, id));
        const certs = await listCertificatesForDevice(ctx.db, id);
        out.result(device, () => {
          const rows = certs.map((r) => [r.id, r.status, r.profile, r.not_after, r.serial_hex]);
          return `${deviceDetails(device)}\n\ncertificates (newest first):\n${table(['id', 'status', 'profile', 'not after', 'serial'], rows)}`;
        });
      }),
    );
}

function registerTransitions(group: Command): void {
  const simple = [
    ['suspend', 'stop a device from enrolling or renewing (its certificates stay as they are)', suspendDevice],
    ['reactivate', 'allow a suspended device to enrol and renew again', reactivateDevice],
  ] as const;
  for (const [name, summary, change] of simple) {
    group
      .command(`${name} <id>`)
      .summary(summary)
      .action((id: string, _o, c: Command) =>
        withSession(c, async ({ ctx, out, actor }) => {
          const device = deviceView(await change(ctx, id, actor));
          out.result(device, () => `device ${device.id} is now ${device.status}`);
        }),
      );
  }
  group
    .command('decommission <id>')
    .summary('retire a device for good and revoke every certificate it still holds')
    .description('Retire a device for good. Every certificate it still holds is revoked in the same\ntransaction: retired -> cessationOfOperation, lost or compromised -> keyCompromise.\nDecommissioned is final; the record is kept.')
    .addOption(new Option('--reason <why>', 'why it leaves service').choices(Object.keys(DECOMMISSION_REASONS)).default('retired'))
    .addHelpText('after', '\nExample:\n  $ fleetpki device decommission 0199... --reason lost')
    .action((id: string, o: { reason: DecommissionReason }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const { device, revoked } = await decommissionDevice(ctx, id, o.reason, actor);
        const view = { device: deviceView(device), revoked };
        out.result(view, () => [`device ${device.id} decommissioned (${o.reason})`, `revoked ${revoked.length} certificate(s)${revoked.length ? `: ${revoked.join(', ')}` : ''}`].join('\n'));
      }),
    );
}

export function registerDevice(program: Command): void {
  const group = program
    .command('device')
    .summary('device inventory: create, import, list, show, update, suspend, reactivate, decommission')
    .description('Manage the device inventory and device states (registered, active, suspended, decommissioned).');
  registerCreate(group);
  registerDeviceImport(group);
  registerList(group);
  registerShow(group);
  registerUpdate(group);
  registerTransitions(group);
  registerBootstrapToken(group);
}
