// `fleetpki audit ...`: read and verify the hash-chained audit log.

import type { Command } from 'commander';
import { listAudit, verifyAuditChain, type AuditFilter } from '../../app/audit.ts';
import type { AuditView } from '../../app/views.ts';
import { CommandFailed } from '../errors.ts';
import { pagingNote, table } from '../output.ts';
import { pageLimit, positiveInt } from '../parse.ts';
import { withSession } from '../session.ts';

function auditTable(events: AuditView[]): string {
  return table(
    ['seq', 'at', 'actor', 'action', 'target', 'outcome', 'details'],
    events.map((e) => [e.seq, e.at, e.actor, e.action, e.target, e.outcome, Object.keys(e.details).length ? e.details : null]),
  );
}

function registerVerify(group: Command): void {
  group
    .command('verify')
    .summary('check the whole audit hash chain; exit 1 if any event was changed or removed')
    .description('Walk the audit log from the first event and recompute every hash. Exits 0 with\n"chain intact: N events", or 1 listing each broken event (its seq and what is wrong).')
    .addHelpText('after', '\nExample:\n  $ fleetpki audit verify || alert "audit log tampered"')
    .action((_o, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const result = await verifyAuditChain(ctx);
        out.result(result, () =>
          result.ok
            ? `chain intact: ${result.events} events`
            : [`chain BROKEN: ${result.problems.length} problem(s) in ${result.events} events`, ...result.problems.map((p) => `  seq ${p.seq}: ${p.problem}`)].join('\n'),
        );
        if (!result.ok) throw new CommandFailed();
      }),
    );
}

interface ListOptions {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: AuditFilter['outcome'];
  limit: number;
  before?: number;
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('list audit events, newest first')
    .option('--action <action>', 'only this action, e.g. certificate.issue, device.decommission')
    .option('--actor <actor>', 'only this actor, e.g. cli:alice, token:<id>')
    .option('--target <target>', 'only this target, e.g. device:<id>, certificate:<id>')
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 50)
    .option('--before <seq>', 'continue with events older than this seq', positiveInt)
    .addHelpText('after', '\nExample:\n  $ fleetpki audit list --action certificate.revoke --limit 20')
    .action((o: ListOptions, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const page = await listAudit(ctx, { action: o.action, actor: o.actor, target: o.target }, { limit: o.limit, before: o.before });
        out.result(page, () => auditTable(page.items));
        pagingNote(out, page.nextCursor, '--before');
      }),
    );
}

export function registerAudit(program: Command): void {
  const group = program.command('audit').summary('audit log: list, verify').description('Read the audit log and verify its hash chain.');
  registerVerify(group);
  registerList(group);
}
