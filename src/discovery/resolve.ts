// Resolving a finding: adopt the certificate into the inventory, give it an owner, mark it for
// replacement, or dismiss the finding with a reason. Every resolution is one audit event
// committed with the change; a refusal is an audit event of its own (app/refusal.ts).

import type { Kysely } from 'kysely';
import type { AuditEvent } from '../audit/log.ts';
import type { Context } from '../app/context.ts';
import type { DeviceInput } from '../app/devices.ts';
import { audited } from '../app/refusal.ts';
import { BadRequest, Conflict, NotFound } from '../errors.ts';
import { getDiscovered, updateDiscovered, type DiscoveredRow } from '../store/repos/discovered-certificates.ts';
import { findingsOf, getFinding, updateFinding, type FindingRow } from '../store/repos/discovery-findings.ts';
import type { Database } from '../store/schema.ts';
import { adoptCertificate, checkAdoptable } from './adopt.ts';
import type { Resolution } from './kinds.ts';

/** One shape for every action, as the API and CLI take it; checkInput says what each action needs. */
export interface ResolveInput {
  action: Resolution;
  /** adopt: an existing device... */
  deviceId?: string;
  /** ...or one to register. */
  device?: DeviceInput;
  /** assign-owner. */
  owner?: string;
  /** dismiss (required). */
  reason?: string;
  /** adopt, assign-owner, replace: free text kept with the resolution. */
  note?: string;
}

const FIELDS: Record<Resolution, { required: (keyof ResolveInput)[]; optional: (keyof ResolveInput)[] }> = {
  adopt: { required: [], optional: ['deviceId', 'device', 'note'] },
  'assign-owner': { required: ['owner'], optional: ['note'] },
  replace: { required: [], optional: ['note'] },
  dismiss: { required: ['reason'], optional: [] },
};

function checkInput(input: ResolveInput): void {
  const fields = FIELDS[input.action];
  if (!fields) throw new BadRequest(`unknown action ${input.action}; use one of ${Object.keys(FIELDS).join(', ')}`);
  for (const key of Object.keys(input) as (keyof ResolveInput)[]) {
    if (key !== 'action' && input[key] !== undefined && !fields.required.includes(key) && !fields.optional.includes(key)) throw new BadRequest(`${key} does not apply to ${input.action}`);
  }
  for (const key of fields.required) {
    const value = input[key];
    if (typeof value !== 'string' || value.trim() === '') throw new BadRequest(input.action === 'dismiss' ? 'a dismissal needs a reason' : `${input.action} needs ${key}`);
  }
  for (const key of ['owner', 'reason', 'note'] as const) {
    if ((input[key]?.length ?? 0) > 1000) throw new BadRequest(`${key} is longer than 1000 characters`);
  }
  if (input.action === 'adopt' && Boolean(input.deviceId) === Boolean(input.device)) {
    throw new BadRequest('adopt needs either deviceId (an existing device) or device (one to register), not both');
  }
}

/** The resolution's own parameters, as stored on the finding and in the audit event. */
function detailsOf(input: ResolveInput): Record<string, unknown> {
  const { action: _action, device, ...rest } = input;
  return device ? { ...rest, deviceSerial: device.externalSerial } : rest;
}

export interface Resolved {
  finding: FindingRow;
  certificate: DiscoveredRow;
}

function closeFinding(trx: Kysely<Database>, finding: FindingRow, action: Resolution, details: Record<string, unknown>, actor: string, now: string) {
  return updateFinding(trx, finding.id, {
    status: action === 'dismiss' ? 'dismissed' : 'resolved',
    resolution: action,
    resolution_details: JSON.stringify(details),
    resolved_by: actor,
    resolved_at: now,
  });
}

function event(actor: string, finding: FindingRow, cert: DiscoveredRow, action: Resolution, details: Record<string, unknown>): AuditEvent {
  return {
    actor,
    action: 'discovery.finding.resolve',
    target: `discovery-finding:${finding.id}`,
    outcome: 'success',
    details: { action, kind: finding.kind, certificateId: cert.id, fingerprint: cert.fingerprint_sha256, ...details },
  };
}

async function applyResolution(trx: Kysely<Database>, audit: AuditEvent[], finding: FindingRow, cert: DiscoveredRow, input: ResolveInput, actor: string): Promise<void> {
  const now = new Date().toISOString();
  let details = detailsOf(input);
  if (input.action === 'adopt') {
    const deviceId = await adoptCertificate(trx, audit, cert, input, actor, now);
    details = { ...details, deviceId };
    // Once adopted the certificate is in the inventory: its "not in inventory" finding is answered too.
    for (const other of await findingsOf(trx, [cert.id])) {
      if (other.id !== finding.id && other.kind === 'not-in-inventory' && other.status === 'open') {
        await closeFinding(trx, other, 'adopt', { deviceId, via: finding.id }, actor, now);
        audit.push(event(actor, other, cert, 'adopt', { deviceId, via: finding.id }));
      }
    }
  }
  if (input.action === 'assign-owner') await updateDiscovered(trx, cert.id, { owner: input.owner!.trim() });
  if (input.action === 'replace') await updateDiscovered(trx, cert.id, { replacement_requested_at: now });
  await closeFinding(trx, finding, input.action, details, actor, now);
  audit.unshift(event(actor, finding, cert, input.action, details));
}

export async function resolveFinding(ctx: Context, id: string, input: ResolveInput, actor: string): Promise<Resolved> {
  return audited(ctx, actor, 'discovery.finding.resolve', `discovery-finding:${id}`, async () => {
    checkInput(input);
    await ctx.ledger.submit(async (trx, audit) => {
      const finding = await getFinding(trx, id);
      if (!finding) throw new NotFound(`no discovery finding with id ${id}`);
      if (finding.status !== 'open') throw new Conflict(`finding ${id} is already ${finding.status} (${finding.resolution} by ${finding.resolved_by})`);
      const cert = (await getDiscovered(trx, finding.certificate_id))!;
      if (input.action === 'adopt') checkAdoptable(cert, await findingsOf(trx, [cert.id]));
      await applyResolution(trx, audit, finding, cert, input, actor);
    });
    const finding = (await getFinding(ctx.db, id))!;
    return { finding, certificate: (await getDiscovered(ctx.db, finding.certificate_id))! };
  });
}
