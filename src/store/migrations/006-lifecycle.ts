// Lifecycle automation (src/lifecycle): job leases so several instances on one database never
// run the same job at once, the record of every run, alerts with one active row per kind and
// subject, and the webhook outbox. "One active alert" is a unique index on a column that is
// null once resolved, rather than a partial index, so both engines enforce it the same way
// (NULLs never collide in a unique index on either).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Engine } from '../schema.ts';
import { typesFor, type Types } from './001-initial.ts';

export function lifecycleMigration(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = typesFor(engine);
      await createLeases(db, t);
      await createRuns(db, t);
      await createAlerts(db, t);
      await createDeliveries(db, t);
      // Renewal detection asks "has this certificate a successor?" for every certificate in its window.
      await db.schema.createIndex('certificates_replaces_id_idx').on('certificates').columns(['replaces_id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('certificates_replaces_id_idx').ifExists().execute();
      for (const table of ['webhook_deliveries', 'alerts', 'job_runs', 'job_leases']) await db.schema.dropTable(table).ifExists().execute();
    },
  };
}

async function createLeases(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('job_leases')
    .addColumn('job', t.text, (c) => c.primaryKey().notNull())
    .addColumn('holder', t.text, (c) => c.notNull())
    .addColumn('acquired_at', t.text, (c) => c.notNull())
    .addColumn('expires_at', t.text, (c) => c.notNull())
    .addColumn('next_run_at', t.text, (c) => c.notNull())
    .execute();
}

async function createRuns(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('job_runs')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('job', t.text, (c) => c.notNull())
    .addColumn('holder', t.text, (c) => c.notNull())
    .addColumn('trigger', t.text, (c) => c.notNull())
    .addColumn('started_at', t.text, (c) => c.notNull())
    .addColumn('ended_at', t.text)
    .addColumn('outcome', t.text, (c) => c.notNull())
    .addColumn('counts', t.text, (c) => c.notNull())
    .addColumn('error', t.text)
    .execute();
  await db.schema.createIndex('job_runs_job_started_at_idx').on('job_runs').columns(['job', 'started_at']).execute();
}

async function createAlerts(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('kind', t.text, (c) => c.notNull())
    .addColumn('subject', t.text, (c) => c.notNull())
    .addColumn('severity', t.text, (c) => c.notNull())
    .addColumn('state', t.text, (c) => c.notNull())
    .addColumn('summary', t.text, (c) => c.notNull())
    .addColumn('details', t.text, (c) => c.notNull())
    .addColumn('first_seen', t.text, (c) => c.notNull())
    .addColumn('last_seen', t.text, (c) => c.notNull())
    .addColumn('occurrences', t.bigint, (c) => c.notNull())
    .addColumn('seen_by_run', t.text)
    .addColumn('acknowledged_at', t.text)
    .addColumn('acknowledged_by', t.text)
    .addColumn('resolved_at', t.text)
    .addColumn('active_key', t.text, (c) => c.unique())
    .execute();
  await db.schema.createIndex('alerts_state_idx').on('alerts').columns(['state']).execute();
  await db.schema.createIndex('alerts_kind_state_idx').on('alerts').columns(['kind', 'state']).execute();
  await db.schema.createIndex('alerts_subject_idx').on('alerts').columns(['subject']).execute();
}

async function createDeliveries(db: Kysely<any>, t: Types): Promise<void> {
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', t.text, (c) => c.primaryKey().notNull())
    .addColumn('webhook', t.text, (c) => c.notNull())
    .addColumn('alert_id', t.text, (c) => c.notNull().references('alerts.id'))
    .addColumn('event', t.text, (c) => c.notNull())
    .addColumn('payload', t.text, (c) => c.notNull())
    .addColumn('state', t.text, (c) => c.notNull())
    .addColumn('attempts', t.bigint, (c) => c.notNull())
    .addColumn('next_attempt_at', t.text, (c) => c.notNull())
    .addColumn('last_attempt_at', t.text)
    .addColumn('last_status', t.bigint)
    .addColumn('last_error', t.text)
    .addColumn('created_at', t.text, (c) => c.notNull())
    .addColumn('delivered_at', t.text)
    .execute();
  await db.schema.createIndex('webhook_deliveries_state_next_attempt_at_idx').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_alert_id_idx').on('webhook_deliveries').columns(['alert_id']).execute();
}
