// A device may name the manufacturer whose birth certificates (IEEE 802.1AR IDevIDs) speak
// for it. 802.1AR serial numbers are unique per manufacturer only, so without the binding
// any registered manufacturer's IDevID saying serialNumber=X would enrol device X. The
// column holds the manufacturer's name (manufacturers.name, unique); null keeps the old
// behaviour, any registered manufacturer. No foreign key: SQLite cannot drop a column that
// one references, and the app checks the name in the transaction that writes it.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor } from './001-initial.ts';

export function deviceManufacturerMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await db.schema.alterTable('devices').addColumn('manufacturer', t.text).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('devices').dropColumn('manufacturer').execute();
    },
  };
}
