import { crlRefreshJob } from './crl-refresh.ts';
import { driftJob } from './drift.ts';
import { expiryJob } from './expiry.ts';
import type { Job } from './job.ts';
import { orphansJob } from './orphans.ts';
import { renewalDueJob, renewalFailedJob } from './renewal.ts';
import { webhookDeliveryJob } from './webhook-delivery.ts';

/** In JOB_NAMES order: the order a scheduler tick runs them in. */
export function builtinJobs(): Job[] {
  return [expiryJob, renewalDueJob, renewalFailedJob, orphansJob, driftJob, crlRefreshJob, webhookDeliveryJob];
}
