// Migrations live in code, not in files read at run time, so a bundled or installed
// fleetpki carries its schema with it. Names sort in the order they must run.
import type { Migration, MigrationProvider } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { initialMigration } from './001-initial.ts';
import { revocationMigration } from './002-revocation.ts';
import { enrollmentMigration } from './003-enrollment.ts';
import { firmwareMigration } from './005-firmware.ts';
import { lifecycleMigration } from './006-lifecycle.ts';
import { discoveryMigration } from './007-discovery.ts';
import { reportingMigration } from './008-reporting.ts';
import { dashboardMigration } from './009-dashboard.ts';
import { deviceManufacturerMigration } from './010-device-manufacturer.ts';
import { ocspSignerRequestsMigration } from './011-ocsp-signer-requests.ts';

export function createMigrations(engine: Engine): Record<string, Migration> {
  return {
    '001-initial': initialMigration(engine),
    '002-revocation': revocationMigration(engine),
    '003-enrollment': enrollmentMigration(engine),
    '005-firmware': firmwareMigration(engine),
    '006-lifecycle': lifecycleMigration(engine),
    '007-discovery': discoveryMigration(engine),
    '008-reporting': reportingMigration(engine),
    '009-dashboard': dashboardMigration(engine),
    '010-device-manufacturer': deviceManufacturerMigration(engine),
    '011-ocsp-signer-requests': ocspSignerRequestsMigration(engine),
  };
}

export function migrationProvider(engine: Engine): MigrationProvider {
  return { getMigrations: async () => createMigrations(engine) };
}
