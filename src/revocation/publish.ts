// Files for gateways: the CA bundle (bundle-cas.ts says which CAs) and the current full CRL of every CA, written to
// crl.publishDir for a broker or web server to read, each replaced atomically (a reader sees
// the old file or the new one, never half of one), then the optional reload command.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../app/context.ts';
import { listCas } from '../store/repos/cas.ts';
import { toPem } from '../x509/pem.ts';
import { bundleCas } from './bundle-cas.ts';
import { getCrlDer } from './crl-rows.ts';
import { FULL_CRL } from './partition.ts';

const RELOAD_TIMEOUT_MS = 30_000;

/** Write beside the target, flush to disk, rename over it: rename is atomic within a directory. */
export async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(temp, 'w', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export interface Publication {
  dir: string;
  files: string[];
  /** The CAs in ca-bundle.pem, root first. */
  bundle: string[];
  /** CAs without a full CRL yet (an offline root), left out of crls.pem. */
  missing: string[];
  reload: { command: string[]; ok: boolean; error?: string } | null;
}

function runReload(command: string[]): Promise<Publication['reload']> {
  return new Promise((resolve) => {
    execFile(command[0], command.slice(1), { timeout: RELOAD_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve({ command, ok: true });
      resolve({ command, ok: false, error: `${error.message.trim()}${stderr ? `: ${stderr.trim()}` : ''}` });
    });
  });
}

/**
 * ca-bundle.pem: the CAs whose certificates a gateway lets in, root first (Mosquitto `cafile`,
 * nginx `ssl_client_certificate`; bundle-cas.ts); crls.pem: the full CRL of every CA, the
 * root's included, as `-crl_check_all` and nginx need (Mosquitto `crlfile`, nginx `ssl_crl`);
 * <ca>.crl.pem: one CA's full CRL. Null when no publishDir is configured. A `crl.publishCas`
 * naming an unknown CA is thrown, after the CRLs are written and with the old bundle left in
 * place: revocations still reach the gateway, and the mistake is not hidden.
 */
export async function publishCrls(ctx: Context): Promise<Publication | null> {
  const dir = ctx.config.crl.publishDir;
  if (!dir) return null;
  await mkdir(dir, { recursive: true });
  const cas = await listCas(ctx.db);
  const files: string[] = [];
  const missing: string[] = [];
  const crls: string[] = [];
  for (const ca of cas) {
    const der = await getCrlDer(ctx.db, ca.id, FULL_CRL);
    if (!der) {
      missing.push(ca.name);
      continue;
    }
    crls.push(toPem(der, 'X509 CRL'));
    await writeAtomic(join(dir, `${ca.name}.crl.pem`), crls[crls.length - 1]);
    files.push(`${ca.name}.crl.pem`);
  }
  const bundle = await bundleCas(ctx, cas).catch((error: unknown) => error as Error);
  if (!(bundle instanceof Error)) {
    await writeAtomic(join(dir, 'ca-bundle.pem'), bundle.map((ca) => toPem(ca.certificate_der, 'CERTIFICATE')).join(''));
    files.push('ca-bundle.pem');
  }
  await writeAtomic(join(dir, 'crls.pem'), crls.join(''));
  files.push('crls.pem');
  const command = ctx.config.crl.reloadCommand;
  const reload = command ? await runReload(command) : null;
  if (bundle instanceof Error) {
    ctx.log.error({ dir, files, missing, reload, err: bundle }, 'published CRLs; ca-bundle.pem left as it was');
    throw bundle;
  }
  const names = bundle.map((ca) => ca.name);
  ctx.log.info({ dir, files, bundle: names, missing, reload }, 'published CA bundle and CRLs');
  return { dir, files, bundle: names, missing, reload };
}
