// A profile with `privacy` keeps the device's stable hardware serial out of its certificates.
// checkProfile refuses templates that name {{device.serial}}, but the serial can still arrive
// through a value: a requested SAN, {{meta.x}}, {{device.site}}. So the rendered names are
// checked here, for every request, before anything reaches the CA.

import { PolicyDenied } from '../errors.ts';
import type { DevicesTable } from '../store/schema.ts';
import type { NameAttributes } from '../x509/name.ts';
import { formatSan, type San } from '../x509/san.ts';
import type { Profile } from './profile.ts';

/**
 * Case-insensitive: "sn-0001" in a DNS name identifies the device as well as "SN-0001". The
 * device's own fleetpki id is blanked first: it is random, not hardware-derived, it is what
 * privacy profiles name devices by, and a short hex serial could occur in it by chance.
 */
function containsSerial(text: string, device: DevicesTable): boolean {
  const serial = device.external_serial.toLowerCase();
  return serial !== '' && text.toLowerCase().replaceAll(device.id.toLowerCase(), '\u0000').includes(serial);
}

export function assertSerialKeptOut(profile: Profile, device: DevicesTable, subject: NameAttributes, sans: readonly San[]): void {
  if (!profile.privacy) return;
  for (const [attribute, text] of subject) {
    if (containsSerial(text, device)) {
      throw new PolicyDenied(`profile ${profile.name} keeps device serial numbers out of certificates, but the subject ${attribute} "${text}" contains the serial of device ${device.id}`, { attribute });
    }
  }
  for (const san of sans.map(formatSan)) {
    if (containsSerial(san, device)) {
      throw new PolicyDenied(`profile ${profile.name} keeps device serial numbers out of certificates, but the SAN ${san} contains the serial of device ${device.id}`, { san });
    }
  }
}
