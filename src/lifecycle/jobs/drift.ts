// Lifecycle drift: device and certificate states that disagree (rules in ../drift-queries.ts).
// Alerts only: which side is wrong needs a person to decide.

import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { AlertKindName } from '../alert-kinds.ts';
import { pages } from '../certificate-queries.ts';
import { activeWithoutCertificate, heldOnActiveDevice, registeredWithCertificate, type DriftRow } from '../drift-queries.ts';
import type { Job } from './job.ts';
import { finishScan, raiseFound } from './report.ts';

interface Rule {
  kind: AlertKindName;
  subject: 'device' | 'certificate';
  query: (db: Kysely<Database>, now: Date, after: string | null) => Promise<DriftRow[]>;
  summary: (row: DriftRow) => string;
}

const RULES: Rule[] = [
  {
    kind: 'drift.registered-with-certificate',
    subject: 'device',
    query: registeredWithCertificate,
    summary: (row) => `device ${row.label} is still registered although it holds a valid certificate`,
  },
  {
    kind: 'drift.held-on-active-device',
    subject: 'certificate',
    query: heldOnActiveDevice,
    summary: (row) => `a certificate of active device ${row.label} is on hold: release it or suspend the device`,
  },
  {
    kind: 'drift.active-without-certificate',
    subject: 'device',
    query: (db, _now, after) => activeWithoutCertificate(db, after),
    summary: (row) => `device ${row.label} is active but all its certificates are revoked`,
  },
];

export const driftJob: Job = {
  name: 'drift',
  description: 'device and certificate states that disagree',
  async run(run) {
    let found = 0;
    let opened = 0;
    for (const rule of RULES) {
      for await (const rows of pages((after) => rule.query(run.lc.ctx.db, run.now, after), run.signal)) {
        found += rows.length;
        opened += await raiseFound(run, rows.map((row) => ({ kind: rule.kind, subject: `${rule.subject}:${row.id}`, summary: rule.summary(row), details: { [`${rule.subject}Id`]: row.id, deviceSerial: row.label } })));
      }
    }
    return { found, opened, resolved: await finishScan(run, RULES.map((rule) => rule.kind)) };
  },
};
