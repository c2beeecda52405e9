// Orphans: live certificates whose device is decommissioned, missing from the inventory or
// suspended for too long. The policy of each cause decides: alert, or revoke (as
// system:lifecycle, audited, re-checked where the row changes) and alert that it did.

import type { Kysely } from 'kysely';
import { revokeCertificate } from '../../app/certificates.ts';
import { Conflict, FleetPkiError } from '../../errors.ts';
import type { Database } from '../../store/schema.ts';
import type { Finding } from '../alerts.ts';
import { decommissionReason, suspendedSince, type OrphanRow } from '../certificate-queries.ts';
import { orphanCandidatePages } from '../orphan-queries.ts';
import { orphanCause, orphanDecision, type OrphanCause, type OrphanDecision } from '../orphan-policy.ts';
import type { Job, JobRun } from './job.ts';
import { finishScan, raiseFound } from './report.ts';

export const LIFECYCLE_ACTOR = 'system:lifecycle';

const CAUSE_TEXT: Record<OrphanCause, string> = {
  missing: 'names a device that is not in the inventory',
  decommissioned: 'belongs to a decommissioned device',
  suspended: 'belongs to a device suspended for longer than the policy allows',
};

/** The device must still be as the scan found it when the certificate is revoked. */
function stillOrphan(row: OrphanRow, cause: OrphanCause) {
  return async (trx: Kysely<Database>) => {
    const device = row.device_id ? await trx.selectFrom('devices').select('status').where('id', '=', row.device_id).executeTakeFirst() : undefined;
    const status = device?.status ?? 'missing';
    if (status !== cause) throw new Conflict(`device ${row.device_id} is now ${status}; certificate ${row.id} is no longer an orphan`);
  };
}

async function act(run: JobRun, row: OrphanRow, decision: OrphanDecision): Promise<Finding | null> {
  const details = { certificateId: row.id, serial: row.serial_hex, subject: row.subject, deviceId: row.device_id, deviceStatus: row.device_status ?? 'missing', cause: decision.cause };
  const text = `certificate ${row.serial_hex} ${CAUSE_TEXT[decision.cause]}`;
  if (decision.action === 'alert') return { kind: 'certificate.orphan', subject: `certificate:${row.id}`, summary: text, details };
  try {
    await revokeCertificate(run.lc.ctx, row.id, decision.reason, LIFECYCLE_ACTOR, {
      now: run.now,
      precondition: stillOrphan(row, decision.cause),
      details: { policy: `orphans.${decision.cause}`, cause: text, run: run.runId },
    });
  } catch (error) {
    // Refused and audited by revokeCertificate (changed meanwhile); the next pass looks again.
    if (error instanceof FleetPkiError) return null;
    throw error;
  }
  return { kind: 'certificate.orphan-revoked', subject: `certificate:${row.id}`, summary: `${text}: revoked (${decision.reason}) by policy`, details: { ...details, reason: decision.reason } };
}

async function decide(run: JobRun, row: OrphanRow): Promise<OrphanDecision | null> {
  const policy = run.lc.config.policies.orphans;
  const since = row.device_status === 'suspended' && row.device_id ? await suspendedSince(run.lc.ctx.db, row.device_id) : null;
  const cause = orphanCause(row, since, run.now, policy);
  if (!cause) return null;
  const recorded = cause === 'decommissioned' && row.device_id ? await decommissionReason(run.lc.ctx.db, row.device_id) : null;
  return orphanDecision(cause, policy, recorded);
}

export const orphansJob: Job = {
  name: 'orphans',
  description: 'live certificates of decommissioned, missing or long-suspended devices; alert or revoke by policy',
  async run(run) {
    const counts = { found: 0, revoked: 0, opened: 0, resolved: 0 };
    for await (const rows of orphanCandidatePages(run.lc.ctx.db, run.now, run.signal)) {
      const findings: Finding[] = [];
      for (const row of rows) {
        if (run.signal.aborted) break;
        const decision = await decide(run, row);
        if (!decision) continue;
        counts.found++;
        const finding = await act(run, row, decision);
        if (finding?.kind === 'certificate.orphan-revoked') counts.revoked++;
        if (finding) findings.push(finding);
      }
      counts.opened += await raiseFound(run, findings);
    }
    counts.resolved = await finishScan(run, ['certificate.orphan']);
    return counts;
  },
};
