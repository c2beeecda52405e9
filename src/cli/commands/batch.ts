// `fleetpki batch sign`: sign a factory's or an air-gapped site's CSRs in one go
// (src/factory/batch-sign.ts). Exit 0 when every CSR was signed, 1 when any was refused.

import type { Command } from 'commander';
import { signBatch, type BatchReport } from '../../factory/batch-sign.ts';
import { readCsrInputs } from '../../factory/csr-inputs.ts';
import { readManifest } from '../../factory/csr-manifest.ts';
import { stderrProgress } from '../../factory/progress.ts';
import { CommandFailed } from '../errors.ts';
import { readInput } from '../files.ts';
import { withSession } from '../session.ts';

interface SignOptions {
  csr: string;
  out: string;
  profile?: string;
  manifest?: string;
  progress?: boolean;
}

function humanReport(report: BatchReport): string {
  const lines = [`signed ${report.signed.length} of ${report.total} CSR(s) into ${report.outDir}; ${report.failed.length} refused`];
  for (const f of report.failed) lines.push(`  ${f.csr}${f.serial ? ` (${f.serial})` : ''}: ${f.reason}`);
  return lines.join('\n');
}

export function registerBatch(program: Command): void {
  const group = program.command('batch').summary('factory and air-gapped batch work: sign').description('Batch operations for factories and air-gapped sites.');
  group
    .command('sign')
    .summary('sign a folder or bundle of CSRs into a folder of certificates')
    .description(
      'Sign many CSRs at once. Each CSR is for a registered device, named by a manifest entry or\n' +
        "by the CSR's own subject serialNumber, and goes through the normal issuance path (profile,\n" +
        'lint, inventory, audit). Output folder: <serial>.pem (the certificate, then its\n' +
        'intermediate CA certificates), ca.pem (the root(s) to verify with) and manifest.json\n' +
        '(what was signed: device, certificate id, serial, profile, expiry; and what was refused,\n' +
        'and why). Two CSRs for one device in a batch: the first (by name) is signed, the other\n' +
        'refused. Another instance records the folder with `fleetpki cert import --bundle`.\n' +
        'Exit 0 when every CSR was signed, 1 when any was refused.',
    )
    .requiredOption('--csr <path>', 'a folder of *.csr/*.pem/*.der/*.req files, or one file of PEM CSRs')
    .requiredOption('--out <dir>', 'output folder (created if missing; existing <serial>.pem files are never overwritten)')
    .option('--profile <name>', 'profile for every CSR whose manifest entry names none')
    .option('--manifest <file>', 'CSV (file,serial[,profile]) or JSON mapping CSR file names to device serials')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .addHelpText('after', '\nExamples:\n  $ fleetpki batch sign --csr line-3/csrs --profile sensor --out line-3/certs\n  $ fleetpki batch sign --csr requests.pem --manifest map.csv --out certs --json')
    .action((o: SignOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const inputs = readCsrInputs(o.csr);
        const manifest = o.manifest ? readManifest(o.manifest, readInput(o.manifest).toString('utf8')) : null;
        const report = await signBatch(ctx, inputs, { profile: o.profile, manifest, outDir: o.out, progress: stderrProgress('signing', inputs.length, o.progress) }, actor);
        out.result(report, () => humanReport(report));
        if (report.failed.length > 0) throw new CommandFailed();
      }),
    );
}
