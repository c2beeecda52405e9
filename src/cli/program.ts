// The `fleetpki` command tree. Global options map one to one onto loadConfig's overrides;
// FLEETPKI_* environment variables and the config file still apply underneath them.

import { Command, Option } from 'commander';
import { registerAlert } from './commands/alert.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBatch } from './commands/batch.ts';
import { registerCa } from './commands/ca.ts';
import { registerCert } from './commands/cert.ts';
import { registerConfig } from './commands/config.ts';
import { registerCrl } from './commands/crl.ts';
import { registerDevice } from './commands/device.ts';
import { registerDiscover } from './commands/discover.ts';
import { registerExport } from './commands/export.ts';
import { registerFirmware } from './commands/firmware.ts';
import { registerInit } from './commands/init.ts';
import { registerLifecycle } from './commands/lifecycle.ts';
import { registerManufacturer } from './commands/manufacturer.ts';
import { registerOcsp } from './commands/ocsp-offline.ts';
import { registerProfile } from './commands/profile.ts';
import { registerReport } from './commands/report.ts';
import { registerServe } from './commands/serve.ts';
import { registerToken } from './commands/token.ts';
import { registerUser } from './commands/user.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const OVERVIEW = `
Configuration: defaults < --config file (YAML/JSON) < FLEETPKI_* environment variables < flags.

Exit status: 0 success, 1 the operation failed (refused, not found, conflict,
broken audit chain), 2 bad command line or bad configuration.

Examples:
  $ fleetpki init --data-dir ./data
  $ fleetpki --data-dir ./data device create --serial SN-1 --class sensor --environment production
  $ fleetpki --data-dir ./data cert issue --csr sn-1.csr --profile sensor --device <id> --out sn-1.pem
  $ fleetpki --data-dir ./data serve --listen 0.0.0.0:7080`;

const GLOBALS_NOTE = `
Global options (--config, --data-dir, --db, --listen, --public-url, --log-level, --json)
work with every command, before or after it: see \`fleetpki --help\`.`;

function globalOptions(program: Command): void {
  program
    .option('--config <file>', 'configuration file, YAML or JSON (env FLEETPKI_CONFIG)')
    .option('--data-dir <dir>', 'data directory (env FLEETPKI_DATA_DIR, default ./data)')
    .option('--db <url>', 'database: sqlite:<path> or postgres://... (env FLEETPKI_DB_URL, default sqlite in the data dir)')
    .option('--listen <host:port>', 'address serve listens on (env FLEETPKI_LISTEN, default 127.0.0.1:7080)')
    .option('--public-url <url>', 'base URL relying parties reach fleetpki at (env FLEETPKI_PUBLIC_URL)')
    .addOption(new Option('--log-level <level>', 'log level (env FLEETPKI_LOG_LEVEL, default info)').choices(LOG_LEVELS))
    .option('--json', 'machine-readable JSON output on stdout (errors as {"error":{...}} on stderr)');
}

/** A fresh program per run: commander keeps parsed state on the objects. */
export function buildProgram(): Command {
  const program = new Command('fleetpki');
  program
    .description('PKI and certificate lifecycle for IoT and OT device fleets.\nWorks directly on the local data directory and database, like an admin console on the CA host.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText('after', OVERVIEW)
    // Listing the seven global options under every subcommand would bury its own options.
    .addHelpText('afterAll', ({ command }) => (command === program ? '' : GLOBALS_NOTE));
  globalOptions(program);
  registerInit(program);
  registerServe(program);
  registerConfig(program);
  registerCa(program);
  registerProfile(program);
  registerDevice(program);
  registerManufacturer(program);
  registerCert(program);
  registerCrl(program);
  registerOcsp(program);
  registerFirmware(program);
  registerToken(program);
  registerUser(program);
  registerAudit(program);
  registerLifecycle(program);
  registerAlert(program);
  registerBatch(program);
  registerDiscover(program);
  registerReport(program);
  registerExport(program);
  return program;
}
