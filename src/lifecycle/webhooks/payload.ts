// The JSON body of a webhook delivery. Written once when the delivery is queued and sent
// unchanged on every attempt, so a receiver sees the same bytes each time (its signature
// changes only with the timestamp).

import type { AlertsTable } from '../../store/schema.ts';

export type AlertEvent = 'alert.opened' | 'alert.resolved';

export function alertPayload(alert: AlertsTable) {
  return {
    id: alert.id,
    kind: alert.kind,
    subject: alert.subject,
    severity: alert.severity,
    state: alert.state,
    summary: alert.summary,
    details: JSON.parse(alert.details) as Record<string, unknown>,
    firstSeen: alert.first_seen,
    lastSeen: alert.last_seen,
    resolvedAt: alert.resolved_at,
  };
}

export function deliveryBody(deliveryId: string, event: AlertEvent, alert: AlertsTable, instance: string): string {
  return JSON.stringify({ event, deliveryId, sentBy: instance, alert: alertPayload(alert) });
}
