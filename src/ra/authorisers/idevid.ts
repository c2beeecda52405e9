// A manufacturer birth certificate (IEEE 802.1AR IDevID) as TLS client certificate: it must
// chain to a manufacturer CA registered in fleetpki (RFC 5280 path checks, and fit for TLS
// client authentication), and its subject serialNumber must be the serial of a device
// registered in the inventory. No shared secret is involved: the device proves the key its
// manufacturer certified, the TLS handshake proved possession.
//
// Two more things decide it. An IDevID that fleetpki itself signed (`fleetpki manufacturer
// create-ca` / `issue-idevid`) is in the inventory, and is revocable: it must be recorded and
// valid there. And 802.1AR serial numbers are unique per manufacturer only, so a device bound
// to a manufacturer (devices.manufacturer) enrols only with an IDevID of that manufacturer's
// anchor; an unbound device takes any registered manufacturer's, as before the binding.

import { BadRequest, Forbidden } from '../../errors.ts';
import type { DevicesTable } from '../../store/schema.ts';
import type { CertificateInfo } from '../../x509/certificate.ts';
import { chainToAnchor } from '../../x509/chain.ts';
import { nameToAttributes } from '../../x509/name.ts';
import { granted, refused, type EnrollmentAuthoriser, type EnrollmentLookups } from './authoriser.ts';
import { csrNamesDevice } from './identity.ts';

type Anchor = { name: string; cert: CertificateInfo };

/**
 * When a CA fleetpki holds signed the IDevID, the inventory speaks for it: refused unless it
 * is recorded (this very certificate) and neither revoked nor on hold.
 */
async function inventoryProblem(lookups: EnrollmentLookups, leaf: CertificateInfo, issuer: CertificateInfo): Promise<string | null> {
  const held = (await lookups.fleetCas()).find((ca) => ca.cert.subjectDer.equals(leaf.issuerDer) && ca.cert.spkiDer.equals(issuer.spkiDer));
  if (!held) return null;
  const row = await lookups.certificate(held.id, leaf.serialHex);
  if (!row || row.fingerprint_sha256 !== leaf.fingerprintSha256) return `IDevID ${leaf.serialHex} of ${held.name} is not in the inventory; fleetpki records every birth certificate its CAs sign`;
  if (row.status === 'on_hold') return `IDevID ${leaf.serialHex} of ${held.name} is on hold (${row.revocation_reason}); release it before the device enrols with it`;
  if (row.status !== 'valid') return `IDevID ${leaf.serialHex} of ${held.name} is revoked (${row.revocation_reason}); it cannot enrol a device`;
  return null;
}

/** A device bound to a manufacturer takes only IDevIDs that chain to that manufacturer's anchor. */
function manufacturerProblem(device: DevicesTable, anchors: Anchor[], found: CertificateInfo, leaf: CertificateInfo, presented: CertificateInfo[], now: Date): string | null {
  if (!device.manufacturer) return null;
  const own = anchors.filter((m) => m.name === device.manufacturer);
  if (own.some((m) => m.cert === found)) return null;
  // The same IDevID may chain to several registered anchors (a cross-certified CA): try the bound one alone.
  if (own.length > 0 && chainToAnchor(leaf, presented, own.map((m) => m.cert), now, { purpose: 'clientAuth' }).ok) return null;
  const maker = anchors.find((m) => m.cert === found)?.name;
  return `device ${device.id} (serial ${device.external_serial}) is bound to manufacturer ${device.manufacturer}; this IDevID chains to manufacturer ${maker}`;
}

export function idevidAuthoriser(lookups: EnrollmentLookups): EnrollmentAuthoriser {
  return {
    name: 'idevid',
    async authorise({ credentials, label, now }) {
      const [leaf, ...presented] = credentials.clientChain;
      const serial = nameToAttributes(leaf.subjectDer).find(([attribute]) => attribute === 'serialNumber')?.[1];
      const actor = `est:idevid:${serial ?? `cert-${leaf.serialHex}`}`;
      if (leaf.isCa) return refused(actor, new Forbidden('the TLS client certificate is a CA certificate, not a device identity'));
      const anchors = await lookups.manufacturers();
      const chain = chainToAnchor(leaf, presented, anchors.map((m) => m.cert), now, { purpose: 'clientAuth' });
      if (!chain.ok) {
        return refused(actor, new Forbidden(`the TLS client certificate is not a valid birth certificate of a registered manufacturer: ${chain.reason} (a fleetpki certificate renews through simplereenroll)`));
      }
      const recorded = await inventoryProblem(lookups, leaf, chain.path[1] ?? chain.anchor);
      if (recorded) return refused(actor, new Forbidden(recorded));
      if (!serial) return refused(actor, new Forbidden(`the IDevID "${leaf.subject}" has no serialNumber attribute in its subject, so it names no device`));
      const device = await lookups.deviceBySerial(serial);
      if (!device) return refused(actor, new Forbidden(`no device with serial number ${serial} is registered; register it before it enrols`));
      const wrongMaker = manufacturerProblem(device, anchors, chain.anchor, leaf, presented, now);
      if (wrongMaker) return refused(actor, new Forbidden(wrongMaker));
      const profile = label ?? lookups.defaultProfile;
      if (!profile) return refused(actor, new BadRequest('no profile: enrol under a label (/.well-known/est/<profile>/simpleenroll) or set est.defaultProfile'));
      // An IDevID enrolment of a device that still holds a good certificate under the profile
      // (a factory reset, or renewal with --key-command) supersedes it: recorded as such, the
      // inventory shows one chain of renewals instead of a second, unexplained enrolment.
      const replaces = (await lookups.currentCertificate(device.id, profile, now))?.id ?? null;
      return granted(actor, { deviceId: device.id, profile, replaces, validators: [csrNamesDevice], consumesToken: null });
    },
  };
}
