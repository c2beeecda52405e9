// Renewal-due and failed-renewal detection: valid certificates of devices in service, past
// renew_after, with no successor, sorted by renewal phase (../renewal-phase.ts). The two
// phases do not overlap, so a certificate moves from one alert to the other as time passes.

import type { Finding } from '../alerts.ts';
import { pagesAfter, unrenewed, type UnrenewedRow } from '../certificate-queries.ts';
import { failAt, renewalPhase } from '../renewal-phase.ts';
import type { Job } from './job.ts';
import { finishScan, raiseFound } from './report.ts';

type Kind = 'certificate.renewal-due' | 'certificate.renewal-failed';

function finding(kind: Kind, row: UnrenewedRow, fraction: number): Finding {
  const fail = new Date(failAt(row, fraction)).toISOString();
  const who = `certificate ${row.serial_hex} of device ${row.external_serial} (profile ${row.profile})`;
  const summary =
    kind === 'certificate.renewal-due'
      ? `${who} is due for renewal since ${row.renew_after} and not renewed; it expires ${row.not_after}`
      : `${who} has not been renewed and expires ${row.not_after}: renewal has failed`;
  return {
    kind,
    subject: `certificate:${row.id}`,
    summary,
    details: { certificateId: row.id, serial: row.serial_hex, subject: row.subject, deviceId: row.device_id, deviceSerial: row.external_serial, profile: row.profile, renewAfter: row.renew_after, failAt: fail, notAfter: row.not_after },
  };
}

function renewalJob(name: string, phase: 'due' | 'failing', kind: Kind, description: string): Job {
  return {
    name,
    description,
    async run(run) {
      const fraction = run.lc.config.policies.renewalFailedFraction;
      let found = 0;
      let opened = 0;
      for await (const rows of pagesAfter((after: UnrenewedRow | null) => unrenewed(run.lc.ctx.db, run.now, false, after), run.signal)) {
        const findings = rows.filter((row) => renewalPhase(row, run.now, fraction) === phase).map((row) => finding(kind, row, fraction));
        found += findings.length;
        opened += await raiseFound(run, findings);
      }
      return { found, opened, resolved: await finishScan(run, [kind]) };
    },
  };
}

export const renewalDueJob = renewalJob('renewal-due', 'due', 'certificate.renewal-due', 'certificates inside their renewal window without a successor');
export const renewalFailedJob = renewalJob('renewal-failed', 'failing', 'certificate.renewal-failed', 'certificates with less than the failure fraction of their lifetime left and no successor');
