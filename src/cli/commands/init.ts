// `fleetpki init`: first-time setup, safe to repeat. Shared with `serve`, which initialises
// on first start and should say the same things.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../app/context.ts';
import { initialize, type InitResult } from '../../app/init.ts';
import type { Output } from '../output.ts';
import { describeOrigin, passphraseOrigin, type PassphraseOrigin } from '../passphrase-origin.ts';
import { withSession } from '../session.ts';

export interface InitReport extends InitResult {
  dataDir: string;
  database: string;
  /** Where the CA key passphrase is read from; never its value. */
  passphrase: PassphraseOrigin;
}

export async function runInit(ctx: Context, actor: string): Promise<InitReport> {
  const before = passphraseOrigin(ctx.config);
  const result = await initialize(ctx, actor);
  const after = passphraseOrigin(ctx.config);
  // "generated" means this run wrote the default file (it does so when sealing the first key).
  const passphrase = { ...after, generated: before.generated && after.exists };
  return { ...result, dataDir: ctx.config.dataDir, database: redactDbUrl(ctx.config.db), passphrase };
}

/** A PostgreSQL URL may carry a password; it is shown as *** everywhere the CLI prints it. */
export function redactDbUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/i, '$1***@');
}

export function humanInit(report: InitReport): string {
  const lines = [`data directory: ${report.dataDir}`, `database:       ${report.database}`];
  const created = report.createdCas.length + report.createdProfiles.length + (report.adminTokenFile ? 1 : 0);
  if (created === 0) lines.push('already initialised: nothing to create');
  if (report.createdCas.length) lines.push(`created CAs:      ${report.createdCas.join(', ')}`);
  if (report.createdProfiles.length) lines.push(`created profiles: ${report.createdProfiles.join(', ')}`);
  if (report.adminTokenFile) {
    lines.push(`admin API token written to ${report.adminTokenFile} (mode 0600; read it once, store it safely, then delete the file)`);
  }
  lines.push(`CA key passphrase: ${describeOrigin(report.passphrase)}`);
  if (report.passphrase.generated) {
    lines.push('  generated on this host: for production move it off the data directory or set FLEETPKI_KEY_PASSPHRASE');
  }
  return lines.join('\n');
}

export function printInit(out: Output, report: InitReport): void {
  out.result(report, () => humanInit(report));
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .summary('create the data directory, database, CA hierarchy, profiles and an admin token')
    .description(
      'Initialise fleetpki: create the data directory and database, the CA hierarchy from the\n' +
        'configuration (root + issuing CAs), the default profiles and an admin API token.\n' +
        'Idempotent: what already exists is left alone, so running it again creates nothing.\n' +
        'The admin token and the CA key passphrase are written to files whose paths are printed;\n' +
        'their contents are never printed.',
    )
    .addHelpText('after', '\nExamples:\n  $ fleetpki init --data-dir /var/lib/fleetpki\n  $ fleetpki --config fleetpki.yaml init --json')
    .action(async (_opts, cmd: Command) => {
      await withSession(cmd, async ({ ctx, out, actor }) => printInit(out, await runInit(ctx, actor)), { create: true });
    });
}

export function adminTokenPath(dataDir: string): string | null {
  const file = join(dataDir, 'admin-token');
  return existsSync(file) ? file : null;
}
