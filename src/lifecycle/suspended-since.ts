// When a device's suspension began, as the orphan policy counts it: its latest successful
// device.suspend audit event, the record of the decision. devices.updated_at moves on every
// edit (owner, site, metadata), so it dates a suspension only for a device suspended without
// such an event (imported that way, or suspended before the audit log recorded it). One SQL
// fragment, so that the orphans job and the risk report can never disagree on when a
// suspended device's certificates became orphans.

import { sql, type RawBuilder } from 'kysely';

/** The suspension start of the device row aliased `alias`, as an ISO timestamp; read through the audit_events target index. */
export function suspendedSinceSql(alias: string): RawBuilder<string> {
  const id = sql.ref(`${alias}.id`);
  const updatedAt = sql.ref(`${alias}.updated_at`);
  return sql<string>`coalesce((select max(s.at) from audit_events s
    where s.target = 'device:' || ${id} and s.action = 'device.suspend' and s.outcome = 'success'), ${updatedAt})`;
}
