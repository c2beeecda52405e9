// `fleetpki lifecycle ...`: run a lifecycle job now, and see the jobs' leases and last runs.
// Works beside a running server: the job lease keeps the two from running a job at once.

import type { Command } from 'commander';
import { lifecycleStatus, runJobNow } from '../../lifecycle/operations.ts';
import { lifecycleFor } from '../../lifecycle/service.ts';
import { CommandFailed } from '../errors.ts';
import { table } from '../output.ts';
import { withSession } from '../session.ts';

const counts = (value: Record<string, number>) => Object.entries(value).map(([k, v]) => `${k}=${v}`).join(' ');

function registerRun(group: Command): void {
  group
    .command('run <job>')
    .summary('run one job now: expiry, renewal-due, renewal-failed, orphans, drift, crl-refresh, webhook-delivery')
    .description('Run a lifecycle job now, whatever its schedule. Refused (exit 1) while another instance runs it.\nA job that fails exits 1 with its error; the run is recorded either way.')
    .addHelpText('after', '\nExamples:\n  $ fleetpki lifecycle run orphans\n  $ fleetpki lifecycle run renewal-due --json')
    .action((job: string, _o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const result = await runJobNow(lifecycleFor(ctx), job, actor);
        out.result(result, () => `${job}: ${result.outcome}${result.error ? ` (${result.error})` : ''}  ${counts(result.counts)}`);
        if (result.outcome !== 'success') throw new CommandFailed();
      }),
    );
}

function registerStatus(group: Command): void {
  group
    .command('status')
    .summary("the jobs: schedule, lease holder, next run, last run's outcome and counts")
    .action((_o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const status = await lifecycleStatus(lifecycleFor(ctx));
        out.result(status, () =>
          table(
            ['job', 'every', 'state', 'holder', 'next run', 'last run', 'outcome', 'counts'],
            status.jobs.map((j) => [
              j.name,
              `${j.intervalSeconds}s`,
              j.running ? 'running' : j.enabled ? 'idle' : 'disabled',
              j.lease?.holder,
              j.lease?.nextRunAt,
              j.lastRun?.startedAt,
              j.lastRun ? `${j.lastRun.outcome}${j.lastRun.error ? `: ${j.lastRun.error}` : ''}` : null,
              j.lastRun ? counts(j.lastRun.counts) : null,
            ]),
          ),
        );
      }),
    );
}

export function registerLifecycle(program: Command): void {
  const group = program
    .command('lifecycle')
    .summary('scheduled lifecycle jobs: run one now, show status')
    .description('The jobs `serve` runs on a schedule (docs/lifecycle.md): expiry, renewal-due, renewal-failed,\norphans, drift, crl-refresh, webhook-delivery. Each holds a lease in the database while it runs.');
  registerRun(group);
  registerStatus(group);
}
