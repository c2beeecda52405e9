// CRL refresh under a lease, with the CRL service's own sweep (src/revocation): re-sign
// what is due, drop expired partitions, publish. Then alert on any CA whose full CRL is
// missing or past nextUpdate, such as an offline root whose operator forgot to publish:
// relying parties that check the whole chain refuse every device certificate then. For a
// CA kept offline the alert comes ahead of nextUpdate (src/revocation/offline-crl-due.ts),
// and so does the one for its imported OCSP responder certificate (src/ocsp/offline-due.ts).

import { responderExpiry } from '../../ocsp/offline-due.ts';
import { getCrlMeta } from '../../revocation/crl-rows.ts';
import { crlService } from '../../revocation/crl-service.ts';
import { crlStaleness } from '../../revocation/offline-crl-due.ts';
import { FULL_CRL } from '../../revocation/partition.ts';
import { publishCrls } from '../../revocation/publish.ts';
import { listCas } from '../../store/repos/cas.ts';
import { listOcspSignerRequests } from '../../store/repos/ocsp-signer-requests.ts';
import { latestOcspSigner } from '../../store/repos/ocsp-signers.ts';
import type { Finding } from '../alerts.ts';
import type { Job, JobRun } from './job.ts';
import { finishScan, raiseFound } from './report.ts';

async function staleCrls(run: JobRun): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const ca of await listCas(run.lc.ctx.db)) {
    const stale = crlStaleness(run.lc.ctx.config, ca, await getCrlMeta(run.lc.ctx.db, ca.id, FULL_CRL), run.now);
    if (stale) findings.push({ kind: 'crl.stale', subject: `ca:${ca.name}`, ...stale });
  }
  return findings;
}

async function expiringResponders(run: JobRun): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { db } = run.lc.ctx;
  for (const ca of await listCas(db)) {
    if (ca.encrypted_key !== null) continue;
    const expiry = responderExpiry(ca, await latestOcspSigner(db, ca.id), (await listOcspSignerRequests(db, ca.id)).length, run.now);
    if (expiry) findings.push({ kind: 'ocsp.signer-expiring', subject: `ca:${ca.name}`, ...expiry });
  }
  return findings;
}

export const crlRefreshJob: Job = {
  name: 'crl-refresh',
  description: "re-sign due CRLs (the CRL service's sweep), publish them, alert on stale ones and on offline CAs' expiring OCSP responder certificates",
  async run(run) {
    const signed = await crlService(run.lc.ctx).sweep(run.now);
    const publication = signed ? await publishCrls(run.lc.ctx) : null;
    const findings = await staleCrls(run);
    const responders = await expiringResponders(run);
    const opened = await raiseFound(run, [...findings, ...responders]);
    const resolved = await finishScan(run, ['crl.stale', 'ocsp.signer-expiring']);
    return { signed: signed ? 1 : 0, published: publication?.files.length ?? 0, stale: findings.length, respondersDue: responders.length, opened, resolved };
  },
};
