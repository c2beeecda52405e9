// Device states and the transitions between them. Decommissioned is final: a device that was
// retired, lost or compromised never gets a certificate again under the same record.

import { Conflict } from '../errors.ts';
import type { DeviceStatus } from '../store/schema.ts';

const TRANSITIONS: Record<DeviceStatus, DeviceStatus[]> = {
  registered: ['active', 'suspended', 'decommissioned'],
  active: ['suspended', 'decommissioned'],
  suspended: ['active', 'decommissioned'],
  decommissioned: [],
};

export function assertTransition(deviceId: string, from: DeviceStatus, to: DeviceStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    throw new Conflict(`device ${deviceId} is ${from}; it cannot become ${to}`, { from, to });
  }
}

/** Why a device leaves service decides the revocation reason of its certificates. */
export const DECOMMISSION_REASONS = {
  retired: 'cessationOfOperation',
  lost: 'keyCompromise',
  compromised: 'keyCompromise',
} as const;
export type DecommissionReason = keyof typeof DECOMMISSION_REASONS;
