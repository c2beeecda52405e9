// `fleetpki cert import --bundle`: record here the certificates an air-gapped instance signed
// with `fleetpki batch sign` (src/factory/cert-import.ts). Exit 0 when every certificate was
// imported or was already recorded, 1 when any was refused.

import type { Command } from 'commander';
import { readBundle } from '../../factory/bundle-read.ts';
import { importBundle, type ImportReport } from '../../factory/cert-import.ts';
import { stderrProgress } from '../../factory/progress.ts';
import { CommandFailed } from '../errors.ts';
import { withSession } from '../session.ts';

interface ImportOptions {
  bundle: string;
  profile?: string;
  progress?: boolean;
}

function humanReport(report: ImportReport): string {
  const lines = [`imported ${report.imported.length} of ${report.total} certificate(s) from ${report.bundle}; ${report.skipped.length} already recorded, ${report.failed.length} refused`];
  for (const f of report.failed) lines.push(`  ${f.file} (${f.serial}): ${f.reason}`);
  return lines.join('\n');
}

export function registerCertImport(group: Command): void {
  group
    .command('import')
    .summary('record certificates signed by an air-gapped instance (a `batch sign` output folder)')
    .description(
      'Import the output folder of `fleetpki batch sign` run on another instance (an\n' +
        'offline issuing CA). Each certificate must be signed by a CA known here (an\n' +
        'offline issuing CA: `fleetpki ca import-issuing`), still valid, for a device\n' +
        'registered here (matched by serial), under a profile known here. It is then\n' +
        'recorded in the inventory with its device, as if issued here, and audited\n' +
        '(certificate.import). One already recorded is skipped; a refused one is listed\n' +
        'with the reason, and nothing of it is recorded.\n' +
        'Exit 0 when every certificate was imported or already recorded, 1 when any was\n' +
        'refused.',
    )
    .requiredOption('--bundle <path>', 'the output folder of `fleetpki batch sign`, or its manifest.json')
    .option('--profile <name>', 'profile for entries whose manifest names none (manifests of older versions)')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .addHelpText('after', '\nExample:\n  $ fleetpki cert import --bundle /media/usb/line-3-certs --json > import-report.json')
    .action((o: ImportOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const bundle = readBundle(o.bundle);
        const report = await importBundle(ctx, bundle, { profile: o.profile, progress: stderrProgress('importing', bundle.entries.length, o.progress) }, actor);
        out.result(report, () => humanReport(report));
        if (report.failed.length > 0) throw new CommandFailed();
      }),
    );
}
