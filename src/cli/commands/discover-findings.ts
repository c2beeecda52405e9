// `fleetpki discover findings|certificates|resolve`: review what discovery found and resolve it.

import { Option, type Command } from 'commander';
import type { DeviceInput } from '../../app/devices.ts';
import { FINDING_KIND_NAMES, RESOLUTIONS, type Resolution } from '../../discovery/kinds.ts';
import { resolveFinding } from '../../discovery/resolve.ts';
import { presentDiscovered, presentFindings } from '../../discovery/views.ts';
import { searchDiscovered } from '../../store/repos/discovered-certificates.ts';
import { searchFindings } from '../../store/repos/discovery-findings.ts';
import type { DiscoveredTrust, FindingSeverity, FindingStatus } from '../../store/schema.ts';
import { UsageError } from '../errors.ts';
import { keyValues, pagingNote, table } from '../output.ts';
import { pageLimit } from '../parse.ts';
import { withSession } from '../session.ts';

interface PageFlags {
  limit: number;
  after?: string;
}

interface ResolveFlags {
  action: Resolution;
  device?: string;
  serial?: string;
  class?: string;
  environment?: string;
  owner?: string;
  reason?: string;
  note?: string;
}

/** --serial/--class/--environment register a new device to adopt into; --device names an existing one. */
function newDevice(o: ResolveFlags): DeviceInput | undefined {
  if (o.serial === undefined && o.class === undefined && o.environment === undefined) return undefined;
  if (!o.serial || !o.class || !o.environment) throw new UsageError('a new device needs --serial, --class and --environment together');
  return { externalSerial: o.serial, deviceClass: o.class, environment: o.environment };
}

function registerFindings(group: Command): void {
  group
    .command('findings')
    .summary('list findings (oldest first), with where each certificate was seen')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(FINDING_KIND_NAMES))
    .addOption(new Option('--status <status>', 'only this status').choices(['open', 'resolved', 'dismissed']))
    .addOption(new Option('--severity <severity>', 'only this severity').choices(['critical', 'high', 'medium', 'low']))
    .option('--run <id>', 'only findings raised or seen again by this scan or import')
    .option('--limit <n>', 'page size', pageLimit, 50)
    .option('--after <cursor>', 'the cursor printed with the previous page')
    .action((o: PageFlags & { kind?: string; status?: FindingStatus; severity?: FindingSeverity; run?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const page = await searchFindings(ctx.db, { kind: o.kind, status: o.status, severity: o.severity, runId: o.run }, { limit: o.limit, after: o.after });
        const items = await presentFindings(ctx.db, page.items);
        out.result({ items, nextCursor: page.nextCursor }, () =>
          table(['id', 'kind', 'severity', 'status', 'subject', 'seen at', 'last seen'], items.map((f) => [f.id, f.kind, f.severity, f.status, f.certificate.subject, f.certificate.seenAt.map((s) => s.location).join(' '), f.lastSeenAt])),
        );
        pagingNote(out, page.nextCursor);
      }),
    );
}

function registerCertificates(group: Command): void {
  group
    .command('certificates')
    .summary('list discovered certificates and where each was seen')
    .addOption(new Option('--trust <trust>', 'only this trust').choices(['fleetpki', 'fleetpki-claimed', 'manufacturer', 'self-signed', 'unknown']))
    .option('--q <text>', 'substring of subject, issuer or SANs')
    .option('--limit <n>', 'page size', pageLimit, 50)
    .option('--after <cursor>', 'the cursor printed with the previous page')
    .action((o: PageFlags & { trust?: DiscoveredTrust; q?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const page = await searchDiscovered(ctx.db, { trust: o.trust, q: o.q }, { limit: o.limit, after: o.after });
        const items = await presentDiscovered(ctx.db, page.items);
        out.result({ items, nextCursor: page.nextCursor }, () =>
          table(['id', 'subject', 'trust', 'key', 'not after', 'seen at'], items.map((d) => [d.id, d.subject, d.trust, d.keyType, d.notAfter, d.seenAt.map((s) => s.location).join(' ')])),
        );
        pagingNote(out, page.nextCursor);
      }),
    );
}

function registerResolve(group: Command): void {
  group
    .command('resolve <finding-id>')
    .summary('resolve a finding: adopt, assign-owner, replace or dismiss (audited)')
    .addOption(new Option('--action <action>', 'what to do').choices([...RESOLUTIONS]).makeOptionMandatory())
    .option('--device <id>', 'adopt: link the certificate to this existing device')
    .option('--serial <serial>', 'adopt: register a new device with this serial (with --class and --environment)')
    .option('--class <class>', 'adopt: class of the new device')
    .option('--environment <env>', 'adopt: environment of the new device')
    .option('--owner <owner>', 'assign-owner: the team or person answerable for the certificate')
    .option('--reason <text>', 'dismiss: why the finding needs no action (required)')
    .option('--note <text>', 'adopt, assign-owner, replace: free text kept with the resolution')
    .addHelpText('after', '\nExamples:\n  $ fleetpki discover resolve <id> --action adopt --serial GW-0042 --class gateway --environment production\n  $ fleetpki discover resolve <id> --action dismiss --reason "lab bench, not in the fleet"')
    .action((id: string, o: ResolveFlags, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const input = { action: o.action, deviceId: o.device, device: newDevice(o), owner: o.owner, reason: o.reason, note: o.note };
        const { finding } = await resolveFinding(ctx, id, input, actor);
        const [view] = await presentFindings(ctx.db, [finding]);
        out.result(view, () => keyValues([['finding', view.id], ['kind', view.kind], ['status', view.status], ['resolution', view.resolution], ['details', view.resolutionDetails], ['certificate', view.certificate.id], ['adopted device', view.certificate.adoptedDeviceId], ['owner', view.certificate.owner]]));
      }),
    );
}

export function registerDiscoverFindings(group: Command): void {
  registerFindings(group);
  registerCertificates(group);
  registerResolve(group);
}
