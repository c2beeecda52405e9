// In one process, a factory line's issuing CA kept offline: `offline` holds the keys and
// creates CA line-ca under fleet-root with a profile `line`; `online` knows both CAs by
// their certificates only (import-root, import-issuing), has the same profile, and records
// the certificates the offline side signed through a bundle, as `batch sign` and `cert
// import --bundle` do. What the CRL and the OCSP round-trip tests start from.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIssuing, importRoot } from '../../src/app/cas.ts';
import { createDevice } from '../../src/app/devices.ts';
import { putProfile } from '../../src/app/profiles.ts';
import type { Issuer } from '../../src/ca/issuer.ts';
import { readBundle } from '../../src/factory/bundle-read.ts';
import { importIssuingCa } from '../../src/factory/ca-import-issuing.ts';
import { importBundle } from '../../src/factory/cert-import.ts';
import { toPem } from '../../src/x509/pem.ts';
import type { TestFleet } from '../helpers/context.ts';
import { issueDevice, type Issued } from './harness.ts';

export interface OfflineLineInProcess {
  /** The line CA on the offline side, with its key. */
  lineCa: Issuer;
  /** Its id on the online side. */
  onlineCaId: string;
  /** As signed offline. */
  issued: Issued[];
  /** The same certificates' ids online, in `issued` order. */
  onlineIds: string[];
}

export async function setUpOfflineLineInProcess(offline: TestFleet, online: TestFleet, files: string, options: { certificates: number; validity: string }): Promise<OfflineLineInProcess> {
  const profile = { name: 'line', ca: 'line-ca', keys: { allowed: ['ec-p256'] }, validity: options.validity, subject: { CN: '{{device.id}}' }, keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'] };
  await createIssuing(offline.ctx, { name: 'line-ca', keyType: 'ec-p256', validityDays: 365, commonName: 'Line CA', organization: 'Fleet' }, 'fleet-root', 'test');
  await putProfile(offline.ctx, profile, 'test');
  const lineCa = await offline.ctx.cas.byName('line-ca');
  await importRoot(online.ctx, 'offline-root', toPem((await offline.ctx.cas.byName('fleet-root')).row.certificate_der, 'CERTIFICATE'), 'test');
  const onlineCaId = (await importIssuingCa(online.ctx, 'line-ca', toPem(lineCa.row.certificate_der, 'CERTIFICATE'), 'test')).id;
  await putProfile(online.ctx, profile, 'test');

  const issued: Issued[] = [];
  for (let i = 0; i < options.certificates; i++) issued.push(await issueDevice(offline, 'line'));
  const signedList = [];
  for (const [i, cert] of issued.entries()) {
    const device = await offline.ctx.db.selectFrom('devices').select('external_serial').where('id', '=', cert.deviceId).executeTakeFirstOrThrow();
    await createDevice(online.ctx, { externalSerial: device.external_serial, deviceClass: 'sensor', environment: 'production' }, 'test');
    writeFileSync(join(files, `c${i}.pem`), cert.pem);
    signedList.push({ file: `c${i}.pem`, serial: device.external_serial, profile: 'line' });
  }
  writeFileSync(join(files, 'manifest.json'), JSON.stringify({ signed: signedList }));
  const onlineIds = (await importBundle(online.ctx, readBundle(files), {}, 'test')).imported.map((i) => i.certificateId);
  return { lineCa, onlineCaId, issued, onlineIds };
}
