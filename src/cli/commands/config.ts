// `fleetpki config check`: the operator's first stop when the service will not start.

import type { Command } from 'commander';
import { ConfigError } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { describeOrigin, passphraseOrigin } from '../passphrase-origin.ts';
import { globalsOf, loadCliConfig, outputOf } from '../session.ts';
import { redactDbUrl } from './init.ts';

/** A problem the schema cannot see: a configured passphrase file that is not there. (loadCliConfig checks the database URL.) */
function deeperProblems(config: Config): string[] {
  const problems: string[] = [];
  const origin = passphraseOrigin(config);
  if (origin.source === 'file' && !origin.exists && !origin.generated) {
    problems.push(`keys.passphraseFile: ${origin.where} does not exist`);
  }
  return problems;
}

function check(cmd: Command): void {
  const config = loadCliConfig(cmd);
  const problems = deeperProblems(config);
  if (problems.length > 0) throw new ConfigError(globalsOf(cmd).config ?? 'environment and flags', problems);
  // The passphrase is never part of the config; the database URL may hold a password.
  const effective = { ...config, db: redactDbUrl(config.db) };
  const passphrase = describeOrigin(passphraseOrigin(config));
  outputOf(cmd).result({ ok: true, config: effective, passphraseSource: passphrase }, () =>
    [`configuration is valid`, JSON.stringify(effective, null, 2), `CA key passphrase: ${passphrase}`].join('\n'),
  );
}

export function registerConfig(program: Command): void {
  const group = program.command('config').summary('inspect the configuration').description('Inspect and validate the configuration.');
  group
    .command('check')
    .summary('validate the configuration and print the effective settings')
    .description(
      'Load the configuration (file, then FLEETPKI_* environment variables, then flags), validate it\n' +
        'and print the effective settings as JSON. Secrets are not printed: the CA key passphrase is\n' +
        'never part of the configuration (only where it comes from is shown) and a password in the\n' +
        'database URL is masked. On problems, lists every one of them and exits with status 2.',
    )
    .addHelpText('after', '\nExamples:\n  $ fleetpki config check --config /etc/fleetpki/fleetpki.yaml\n  $ FLEETPKI_LISTEN=0.0.0.0:8443 fleetpki config check --json')
    .action((_opts, cmd: Command) => check(cmd));
}
