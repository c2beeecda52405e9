// A manufacturer birth certificate (IEEE 802.1AR IDevID) as TLS client certificate: it must
// chain to a manufacturer CA registered in fleetpki, and its subject serialNumber must be
// the serial of a device registered in the inventory. No shared secret is involved: the
// device proves the key its manufacturer certified, the TLS handshake proved possession.

import { BadRequest, Forbidden } from '../../errors.ts';
import { chainToAnchor } from '../../x509/chain.ts';
import { nameToAttributes } from '../../x509/name.ts';
import { granted, refused, type EnrollmentAuthoriser, type EnrollmentLookups } from './authoriser.ts';
import { csrNamesDevice } from './identity.ts';

export function idevidAuthoriser(lookups: EnrollmentLookups): EnrollmentAuthoriser {
  return {
    name: 'idevid',
    async authorise({ credentials, label, now }) {
      const [leaf, ...presented] = credentials.clientChain;
      const serial = nameToAttributes(leaf.subjectDer).find(([attribute]) => attribute === 'serialNumber')?.[1];
      const actor = `est:idevid:${serial ?? `cert-${leaf.serialHex}`}`;
      if (leaf.isCa) return refused(actor, new Forbidden('the TLS client certificate is a CA certificate, not a device identity'));
      const anchors = await lookups.manufacturers();
      const chain = chainToAnchor(leaf, presented, anchors.map((m) => m.cert), now);
      if (!chain.ok) {
        return refused(actor, new Forbidden(`the TLS client certificate is not a valid birth certificate of a registered manufacturer: ${chain.reason} (a fleetpki certificate renews through simplereenroll)`));
      }
      if (!serial) return refused(actor, new Forbidden(`the IDevID "${leaf.subject}" has no serialNumber attribute in its subject, so it names no device`));
      const device = await lookups.deviceBySerial(serial);
      if (!device) return refused(actor, new Forbidden(`no device with serial number ${serial} is registered; register it before it enrols`));
      const profile = label ?? lookups.defaultProfile;
      if (!profile) return refused(actor, new BadRequest('no profile: enrol under a label (/.well-known/est/<profile>/simpleenroll) or set est.defaultProfile'));
      return granted(actor, { deviceId: device.id, profile, replaces: null, validators: [csrNamesDevice], consumesToken: null });
    },
  };
}
