// The expiry scan. Expiry is derived, not stored: a certificate's status stays valid after
// notAfter (docs/lifecycle.md says why). What the scan finds is the case that needs a person:
// a certificate that ran out without a successor while its device is still in service.

import { pagesAfter, unrenewed, type UnrenewedRow } from '../certificate-queries.ts';
import type { Job } from './job.ts';
import { finishScan, raiseFound } from './report.ts';

export const expiryJob: Job = {
  name: 'expiry',
  description: 'certificates expired without a successor while their device is in service',
  async run(run) {
    let found = 0;
    let opened = 0;
    for await (const rows of pagesAfter((after: UnrenewedRow | null) => unrenewed(run.lc.ctx.db, run.now, true, after), run.signal)) {
      found += rows.length;
      opened += await raiseFound(
        run,
        rows.map((row) => ({
          kind: 'certificate.expired' as const,
          subject: `certificate:${row.id}`,
          summary: `certificate ${row.serial_hex} of device ${row.external_serial} (profile ${row.profile}) expired at ${row.not_after} without a successor: the device has lost this identity`,
          details: { certificateId: row.id, serial: row.serial_hex, subject: row.subject, deviceId: row.device_id, deviceSerial: row.external_serial, profile: row.profile, notAfter: row.not_after },
        })),
      );
    }
    return { found, opened, resolved: await finishScan(run, ['certificate.expired']) };
  },
};
