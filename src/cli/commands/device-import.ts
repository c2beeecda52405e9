// `fleetpki device import <file>`: register many devices at once from a factory's CSV, JSON or
// JSON Lines file (src/factory/device-import.ts). Exit 0 when every row was registered, 1 when
// some were refused (the good ones are registered all the same; each refusal is listed).

import { Option, type Command } from 'commander';
import { importDevices, type ImportReport } from '../../factory/device-import.ts';
import { formatOf, readDeviceRows } from '../../factory/device-rows.ts';
import { stderrProgress } from '../../factory/progress.ts';
import { CommandFailed } from '../errors.ts';
import { readInput } from '../files.ts';
import { withSession } from '../session.ts';

interface ImportOptions {
  format?: string;
  class?: string;
  environment?: string;
  progress?: boolean;
  dryRun?: boolean;
}

function humanReport(report: ImportReport): string {
  const verb = report.dryRun ? 'would register' : 'registered';
  const head = `${verb} ${report.imported} of ${report.total} device(s); ${report.failed} refused`;
  return [head, ...report.errors.map((e) => `  line ${e.line}${e.serial ? ` (${e.serial})` : ''}: ${e.reason}`)].join('\n');
}

export function registerDeviceImport(group: Command): void {
  group
    .command('import <file>')
    .summary('register devices in bulk from a CSV, JSON or JSON Lines file')
    .description(
      'Register devices in bulk. CSV: a header row, then one device per row, with the columns\n' +
        'serial, class, environment, model, site, owner, criticality, manufacturer and meta.<key>\n' +
        'for metadata (the API names externalSerial, deviceClass, metadata work too). JSON: an array\n' +
        'of device objects as the REST API takes them; JSON Lines: one object per line.\n' +
        'Bad rows are reported with their line number and reason and the good rows are still\n' +
        'registered; a serial already registered, or repeated in the file, is refused, and so is a\n' +
        'manufacturer that is not registered (fleetpki manufacturer list), with --dry-run too.\n' +
        'Exit 0 when all rows were registered, 1 when any was refused.',
    )
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'json', 'jsonl']))
    .option('--class <class>', 'device class for rows that give none')
    .option('--environment <env>', 'environment for rows that give none')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .option('--dry-run', 'check every row and report, register nothing')
    .addHelpText('after', '\nExamples:\n  $ fleetpki device import devices.csv --environment production\n  $ fleetpki device import batch-42.jsonl --class sensor --environment production --json > report.json')
    .action((file: string, o: ImportOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const rows = readDeviceRows(readInput(file).toString('utf8'), formatOf(file, o.format));
        const progress = stderrProgress('importing', rows.length, o.progress);
        const report = await importDevices(ctx, rows, { defaults: { deviceClass: o.class, environment: o.environment }, source: file, dryRun: o.dryRun, progress }, actor);
        out.result(report, () => humanReport(report));
        if (report.failed > 0) throw new CommandFailed();
      }),
    );
}
