// `fleetpki alert ...`: the alerts the lifecycle jobs raised (docs/lifecycle.md): list, show
// one with its webhook deliveries, acknowledge.

import { Option, type Command } from 'commander';
import { acknowledgeAlert, getAlert, listAlerts, type AlertFilter, type AlertView } from '../../lifecycle/operations.ts';
import { lifecycleFor } from '../../lifecycle/service.ts';
import type { AlertSeverity } from '../../store/schema.ts';
import { keyValues, pagingNote, table } from '../output.ts';
import { pageLimit } from '../parse.ts';
import { withSession } from '../session.ts';

function alertTable(items: AlertView[]): string {
  return table(['id', 'severity', 'state', 'kind', 'subject', 'last seen', 'summary'], items.map((a) => [a.id, a.severity, a.state, a.kind, a.subject, a.lastSeen, a.summary]));
}

interface ListOptions {
  /** A state, or "all". */
  state: string;
  kind?: string;
  severity?: AlertSeverity;
  subject?: string;
  limit: number;
  before?: string;
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('list alerts, newest first (default: the active ones)')
    .addOption(new Option('--state <state>', 'open, acknowledged, resolved, or active (open or acknowledged)').choices(['open', 'acknowledged', 'resolved', 'active', 'all']).default('active'))
    .option('--kind <kind>', 'only this kind, e.g. certificate.renewal-failed')
    .addOption(new Option('--severity <severity>', 'only this severity').choices(['info', 'warning', 'critical']))
    .option('--subject <subject>', 'only this subject, e.g. certificate:<id>, device:<id>')
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 50)
    .option('--before <id>', 'continue with alerts older than this id')
    .addHelpText('after', '\nExamples:\n  $ fleetpki alert list\n  $ fleetpki alert list --state all --kind certificate.orphan-revoked --json')
    .action((o: ListOptions, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const state = o.state === 'all' ? undefined : (o.state as AlertFilter['state']);
        const page = await listAlerts(lifecycleFor(ctx), { state, kind: o.kind, severity: o.severity, subject: o.subject }, { limit: o.limit, before: o.before });
        out.result(page, () => alertTable(page.items));
        pagingNote(out, page.nextCursor, '--before');
      }),
    );
}

function registerShow(group: Command): void {
  group
    .command('show <id>')
    .summary('one alert, its details and its webhook deliveries')
    .action((id: string, _o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const alert = await getAlert(lifecycleFor(ctx), id);
        out.result(alert, () =>
          [
            keyValues(Object.entries(alert).filter(([k]) => k !== 'deliveries')),
            '',
            table(['webhook', 'event', 'state', 'attempts', 'last status', 'last error', 'next attempt'], alert.deliveries.map((d) => [d.webhook, d.event, d.state, d.attempts, d.lastStatus, d.lastError, d.state === 'pending' ? d.nextAttemptAt : null])),
          ].join('\n'),
        );
      }),
    );
}

function registerAck(group: Command): void {
  group
    .command('ack <id>')
    .summary('acknowledge an alert (audited); an action taken by policy is resolved by it')
    .option('--note <text>', 'why, recorded in the audit event')
    .addHelpText('after', '\nExample:\n  $ fleetpki alert ack 0197... --note "gateway replaced, see ticket 123"')
    .action((id: string, o: { note?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const alert = await acknowledgeAlert(lifecycleFor(ctx), id, actor, o.note);
        out.result(alert, () => `alert ${alert.id} (${alert.kind} ${alert.subject}) is ${alert.state}`);
      }),
    );
}

export function registerAlert(program: Command): void {
  const group = program
    .command('alert')
    .summary('alerts from the lifecycle jobs: list, show, ack')
    .description('Alerts the scheduled lifecycle jobs raise: renewals due or failed, expiries, orphans, drift,\nstale CRLs, failed jobs. One active alert per kind and subject (docs/lifecycle.md).');
  registerList(group);
  registerShow(group);
  registerAck(group);
}
