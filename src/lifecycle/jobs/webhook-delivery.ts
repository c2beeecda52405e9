// Retries of webhook deliveries whose backoff has passed (first attempts are made by the
// run that opened the alert, right after it commits).

import { deliverDue } from '../webhooks/outbox.ts';
import type { Job } from './job.ts';

export const webhookDeliveryJob: Job = {
  name: 'webhook-delivery',
  description: 'send webhook deliveries that are due, with exponential backoff between attempts',
  async run(run) {
    return deliverDue(run.lc, run.signal);
  },
};
