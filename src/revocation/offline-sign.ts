// Offline: `fleetpki crl sign-request`, on the instance that holds an offline CA's key. The
// request from the online instance is applied to the inventory here, then the CA signs its
// full CRL and the partitions its certificates name (offline-partitions.ts), numbered above
// what the online instance last stored, with nextUpdate from crl.validityHours here. The
// CRLs are stored here as well (the CA's own record) and returned for writing to files.

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import type { Issuer } from '../ca/issuer.ts';
import { caUrls } from '../ca/urls.ts';
import { NotFound, PolicyDenied } from '../errors.ts';
import { listCas } from '../store/repos/cas.ts';
import type { CrlsTable } from '../store/schema.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { crlService } from './crl-service.ts';
import { applyRevocations, planRevocations, type AppliedRevocation } from './offline-apply.ts';
import { offlinePartitions } from './offline-partitions.ts';
import type { CrlRequestFile } from './offline-request.ts';

export interface OfflineSignResult {
  /** The CA's name here, and on the online instance. */
  ca: string;
  onlineName: string;
  requestSha256: string;
  applied: AppliedRevocation[];
  /** Listed in the request and already revoked here. */
  unchanged: string[];
  /** Listed in the request, unknown to the ledger here, on the CRLs all the same. */
  notRecordedHere: string[];
  crls: CrlsTable[];
  warnings: string[];
}

async function caOfRequest(ctx: Context, file: CrlRequestFile): Promise<Issuer> {
  const { ca } = file.request;
  const row = (await listCas(ctx.db)).find((r) => sha256Hex(r.certificate_der) === ca.certificateSha256);
  if (!row) throw new NotFound(`the CRL request is for CA ${ca.name} ("${ca.subject}"), whose certificate no CA here has: run crl sign-request on the instance that holds its key`);
  const issuer = await ctx.cas.get(row.id);
  if (!issuer.hasKey) throw new PolicyDenied(`CA ${row.name} has no key here either: run crl sign-request on the instance that holds its key`);
  return issuer;
}

/**
 * Partitions are served online at `<publicUrl>/crl/<name>/<partition>.crl` of the online
 * instance, and certificates signed here carry that URL built from this instance's publicUrl
 * and name. Only when the two agree does a partition signed here reach the relying parties
 * that follow the URL; otherwise it would be served where no certificate points (or not at
 * all), so only the full CRL is signed, for gateways reading crls.pem, and the operator is told.
 */
function urlMismatch(issuer: Issuer, file: CrlRequestFile): string | null {
  const here = caUrls(issuer.publicUrl, issuer.row.name).crl;
  const online = caUrls(file.request.publicUrl, file.request.ca.name).crl;
  if (here === online) return null;
  return (
    `certificates CA ${issuer.row.name} signs here name its CRLs under ${here.replace(/\.crl$/, '')} (this instance's publicUrl and CA name), ` +
    `but the online instance serves them under ${online.replace(/\.crl$/, '')}: relying parties that follow the distribution point will not find them there. ` +
    `Only the full CRL is signed (gateways reading crls.pem use it). Give the CA the same name on both instances and run this one with --public-url ${file.request.publicUrl}`
  );
}

export async function signCrlRequest(ctx: Context, file: CrlRequestFile, actor: string, now = new Date()): Promise<OfflineSignResult> {
  return audited(ctx, actor, 'crl.sign-request', `ca:${file.request.ca.name}`, async () => {
    const issuer = await caOfRequest(ctx, file);
    // Unseal the key first: a wrong passphrase refuses the request before the inventory changes.
    issuer.signer(ctx.passphrase);
    const plan = await planRevocations(ctx, issuer, file.request.revocations);
    await applyRevocations(ctx, plan, actor, file.sha256);
    const mismatch = urlMismatch(issuer, file);
    const partitions = mismatch ? [] : await offlinePartitions(ctx, issuer, now);
    const crls = await crlService(ctx).regenerate(issuer, { full: true, partitions, numberAbove: file.request.crlNumberAbove, extra: plan.extra }, now);
    const result: OfflineSignResult = {
      ca: issuer.row.name,
      onlineName: file.request.ca.name,
      requestSha256: file.sha256,
      applied: plan.changes.map(({ entry: _, ...applied }) => applied),
      unchanged: plan.unchanged,
      notRecordedHere: plan.extra.map((e) => e.serialHex),
      crls,
      warnings: mismatch ? [mismatch] : [],
    };
    const details = {
      requestSha256: file.sha256,
      onlineName: result.onlineName,
      revocations: file.request.revocations.length,
      applied: result.applied.map((a) => a.serial),
      notRecordedHere: result.notRecordedHere,
      crlNumbers: [crls[0].crl_number, crls[crls.length - 1].crl_number],
      partitions: crls.length - 1,
      nextUpdate: crls[0].next_update,
      ...(mismatch ? { partitionsSkipped: mismatch } : {}),
    };
    await ctx.ledger.audit([{ actor, action: 'crl.sign-request', target: `ca:${issuer.row.name}`, outcome: 'success', details }]);
    return result;
  });
}
