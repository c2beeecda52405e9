// `fleetpki discover scan|import`: find the certificates already out there, on TLS endpoints
// or in files, and report what is wrong with them. Runs in this process (no server needed).
// Exit 0 when every target was read, 1 when any was not (each is listed with its reason).

import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../../app/context.ts';
import { importFiles } from '../../discovery/import.ts';
import { startScan } from '../../discovery/scan.ts';
import { targetsFromText } from '../../discovery/targets.ts';
import { presentFindings, runView, type FindingView, type RunView } from '../../discovery/views.ts';
import type { RunHooks } from '../../discovery/execute.ts';
import { noProgress, progressBar, type Progress } from '../../factory/progress.ts';
import { searchFindings } from '../../store/repos/discovery-findings.ts';
import { MAX_PAGE_LIMIT } from '../../store/repos/page.ts';
import { listRunTargets, type DiscoveryRunRow } from '../../store/repos/discovery-runs.ts';
import { CommandFailed, UsageError } from '../errors.ts';
import { readInput } from '../files.ts';
import { table, type Output } from '../output.ts';
import { positiveInt } from '../parse.ts';
import { withSession } from '../session.ts';
import { registerDiscoverFindings } from './discover-findings.ts';

interface RunFlags {
  expiringWithin?: number;
  progress?: boolean;
}

function days(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a number of days (0 or more).');
  return Number(value);
}

/** A progress bar on stderr when it is a terminal or --progress asks for one. */
function progressHooks(label: string, wanted: boolean | undefined): RunHooks & { finish(): void } {
  let progress: Progress = noProgress;
  return {
    onStart: (run) => {
      if (wanted || process.stderr.isTTY) progress = progressBar(label, Number(run.targets_total), process.stderr);
    },
    onTarget: () => progress.advance(),
    finish: () => progress.done(),
  };
}

function human(run: RunView, findings: FindingView[]): string {
  const head = `${run.kind} ${run.id} ${run.status}: ${run.targetsDone} target(s), ${run.targetsFailed} failed, ${run.certificatesSeen} certificate(s) seen, ${run.findingsOpened} new finding(s)`;
  const targets = table(['target', 'outcome', 'certs', 'error'], (run.targets ?? []).map((t) => [t.target, t.outcome, t.certificates, t.error]));
  const found = table(['finding', 'kind', 'severity', 'status', 'seen at', 'summary'], findings.map((f) => [f.id, f.kind, f.severity, f.status, f.certificate.seenAt.map((s) => s.location).join(' '), f.summary]));
  return [head, '', targets, '', 'findings:', found].join('\n');
}

async function report(ctx: Context, out: Output, run: DiscoveryRunRow): Promise<void> {
  const view = runView(run, await listRunTargets(ctx.db, run.id));
  const page = await searchFindings(ctx.db, { runId: run.id }, { limit: MAX_PAGE_LIMIT });
  const findings = await presentFindings(ctx.db, page.items);
  out.result({ run: view, findings }, () => human(view, findings));
  if (page.nextCursor) out.note(`more findings: fleetpki discover findings --run ${run.id}`);
  if (run.status === 'failed') throw new CommandFailed();
  if (Number(run.targets_failed) > 0) throw new CommandFailed();
}

function collectTargets(args: string[], file: string | undefined): string[] {
  const fromFile = file ? targetsFromText(readInput(file).toString('utf8'), file) : [];
  const all = [...args, ...fromFile];
  if (all.length === 0) throw new UsageError('give targets (host:port or a name) or --file with one per line');
  return all;
}

export function registerDiscover(program: Command): void {
  const group = program
    .command('discover')
    .summary('find certificates already deployed: scan TLS endpoints, import files, review and resolve findings')
    .description('Discovery: find the certificates already out there and what is wrong with them (docs/discovery.md).');
  group
    .command('scan [targets...]')
    .summary('scan TLS endpoints (host:port, [v6]:port, or a name on port 443, sent as SNI)')
    .option('--file <targets.txt>', 'more targets, one per line (# starts a comment)')
    .option('--expiring-within <days>', 'flag certificates expiring within this many days (default 30)', days)
    .option('--concurrency <n>', 'endpoints probed at once (default 16)', positiveInt)
    .option('--timeout <ms>', 'connect and handshake timeout per endpoint (default 5000)', positiveInt)
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .addHelpText('after', '\nExit 0 when every endpoint answered, 1 when any did not (listed with the reason).\n\nExamples:\n  $ fleetpki discover scan 10.0.4.17:8883 broker.plant-1.example\n  $ fleetpki discover scan --file plant-1.txt --expiring-within 60 --json > scan.json')
    .action((args: string[], o: RunFlags & { file?: string; concurrency?: number; timeout?: number }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const targets = collectTargets(args, o.file);
        const request = { targets, expiringWithinDays: o.expiringWithin, concurrency: o.concurrency, timeoutMs: o.timeout };
        const hooks = progressHooks('scanning', o.progress);
        const { done } = await startScan(ctx, request, actor, hooks);
        const run = await done;
        hooks.finish();
        await report(ctx, out, run);
      }),
    );
  group
    .command('import <paths...>')
    .summary('import certificate files and folders (.pem .crt .cer .der, recursively; PEM bundles)')
    .option('--expiring-within <days>', 'flag certificates expiring within this many days (default 30)', days)
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .addHelpText('after', '\nA file that holds no readable certificate is reported and the others are imported.\nExit 0 when every file was read, 1 when any was not.\n\nExample:\n  $ fleetpki discover import ./factory-export/ extra/gateway.der')
    .action((paths: string[], o: RunFlags, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const hooks = progressHooks('importing', o.progress);
        const run = await importFiles(ctx, paths, { expiringWithinDays: o.expiringWithin }, actor, hooks);
        hooks.finish();
        await report(ctx, out, run);
      }),
    );
  registerDiscoverFindings(group);
}
