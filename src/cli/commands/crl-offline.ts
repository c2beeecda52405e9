// The CRL round trip of a CA kept offline, as commands (src/revocation/offline-*.ts,
// crl-import.ts): `crl request` and `crl import` on the online instance, `crl sign-request`
// on the one that holds the key. Only files cross: a JSON request one way, CRL files the other.

import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { BadRequest } from '../../errors.ts';
import { importCrls, type CrlFile, type CrlImportReport } from '../../revocation/crl-import.ts';
import { buildCrlRequest, parseCrlRequest } from '../../revocation/offline-request.ts';
import { signCrlRequest, type OfflineSignResult } from '../../revocation/offline-sign.ts';
import { FULL_CRL } from '../../revocation/partition.ts';
import { readInput, writeOutput } from '../files.ts';
import { withSession } from '../session.ts';

/** A full CRL of a million revocations is some 46 MB (docs/benchmarks.md). */
const MAX_CRL_FILE_BYTES = 256 * 1024 * 1024;

function registerRequest(group: Command): void {
  group
    .command('request')
    .summary("online: write what an offline CA's next CRL must list, for its instance to sign")
    .description(
      'On the online instance, for a CA whose key is kept offline (an offline root, or an issuing CA\n' +
        'imported with `fleetpki ca import-issuing`): write a file listing every certificate of the CA\n' +
        'revoked or held here and the CRL number its next CRLs must exceed. Carry it to the instance\n' +
        'that holds the key (`fleetpki crl sign-request`), and the CRLs back (`fleetpki crl import`).\n' +
        'Compare the SHA-256 printed here with the one sign-request prints: the file is not signed.',
    )
    .requiredOption('--ca <name>', 'the offline CA, by its name here')
    .option('--out <file>', 'where to write the request (default <ca>.crl-request.json)')
    .addHelpText('after', '\nExample:\n  $ fleetpki crl request --ca offline-root --out /media/usb/offline-root.crl-request.json')
    .action((o: { ca: string; out?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const file = await buildCrlRequest(ctx, o.ca, actor);
        const path = o.out ?? `${o.ca}.crl-request.json`;
        writeOutput(path, file.bytes);
        const view = { ca: o.ca, file: path, sha256: file.sha256, revocations: file.request.revocations.length, crlNumberAbove: file.request.crlNumberAbove };
        out.result(view, () => `CRL request for CA ${o.ca} written to ${path}: ${view.revocations} revocation(s), CRL number above ${view.crlNumberAbove}\nsha256 ${file.sha256}\nnext: on the instance that holds the key, fleetpki crl sign-request ${basename(path)} --out <folder>`);
      }),
    );
}

/** A folder that may hold only this run's CRLs: an older one left in it would be refused at import as a replay. */
function emptyFolder(path: string): string {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new BadRequest(`cannot create ${path}: ${(error as Error).message}`);
  }
  if (readdirSync(path).length > 0) throw new BadRequest(`${path} is not empty: give crl sign-request a new folder, so only the CRLs it signs now are carried back`);
  return path;
}

function writeCrls(dir: string, result: OfflineSignResult): string[] {
  return result.crls.map((crl) => {
    const name = crl.partition === FULL_CRL ? 'full.crl' : `${crl.partition}.crl`;
    try {
      writeFileSync(join(dir, name), crl.der, { flag: 'wx' });
    } catch (error) {
      throw new BadRequest(`cannot write ${join(dir, name)}: ${(error as Error).message}; the CRLs are signed and stored here, run crl sign-request again into a new folder`);
    }
    return name;
  });
}

function signedText(result: OfflineSignResult, dir: string, files: string[]): string {
  const full = result.crls[0];
  const lines = [
    `CA ${result.ca} (${result.onlineName} online): applied ${result.applied.length} revocation(s) here, ${result.unchanged.length} already recorded, ${result.notRecordedHere.length} not in this inventory`,
    `signed the full CRL and ${files.length - 1} partition(s), CRL numbers ${full.crl_number}-${result.crls[result.crls.length - 1].crl_number}, valid until ${full.next_update}; written to ${dir}`,
    `request sha256 ${result.requestSha256}`,
    ...result.warnings.map((w) => `warning: ${w}`),
    `next: on the online instance, fleetpki crl import ${dir}`,
  ];
  return lines.join('\n');
}

function registerSignRequest(group: Command): void {
  group
    .command('sign-request <request>')
    .summary('offline: apply a CRL request and sign the CA\'s CRLs into a folder to carry back')
    .description(
      'On the instance that holds the CA key: apply the revocations of a `fleetpki crl request`\n' +
        'file to the inventory here (each certificate checked to be one the CA signed; audited), then\n' +
        'sign the full CRL and the partitions its certificates name, numbered above the online\n' +
        'ones, valid for crl.validityHours. Writes full.crl and <partition>.crl (DER) to --out.',
    )
    .requiredOption('--out <folder>', 'a new or empty folder for the CRL files')
    .addHelpText('after', '\nExample:\n  $ fleetpki --data-dir /offline --public-url https://pki.example.com crl sign-request /media/usb/offline-root.crl-request.json --out /media/usb/offline-root-crls')
    .action((requestPath: string, o: { out: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const file = parseCrlRequest(readInput(requestPath));
        const created = !existsSync(o.out);
        const dir = emptyFolder(o.out);
        const result = await signCrlRequest(ctx, file, actor).catch((error: unknown) => {
          // A refused request leaves no folder behind that looks like a result.
          if (created) rmdirSync(dir);
          throw error;
        });
        const files = writeCrls(dir, result);
        const { crls, ...rest } = result;
        const view = { ...rest, out: dir, files, crlNumbers: crls.map((r) => r.crl_number), nextUpdate: crls[0].next_update };
        out.result(view, () => signedText(result, dir, files));
      }),
    );
}

function crlFiles(paths: string[]): CrlFile[] {
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new BadRequest(`cannot read ${path}: no such file or folder`);
    }
    if (!stat.isDirectory()) files.push(path);
    else files.push(...readdirSync(path).filter((name) => /\.(crl|pem|der)$/.test(name)).sort().map((name) => join(path, name)));
  }
  return files.map((path) => {
    if (statSync(path).size > MAX_CRL_FILE_BYTES) throw new BadRequest(`${path} is larger than the ${MAX_CRL_FILE_BYTES} bytes a CRL is accepted with`);
    return { path, bytes: readInput(path) };
  });
}

function importText(report: CrlImportReport): string {
  const lines: string[] = [];
  for (const ca of report.imported) {
    const full = ca.crls[0];
    lines.push(`imported ${ca.crls.length} CRL(s) of CA ${ca.ca}: full CRL number ${full.crlNumber} with ${full.entries} entries, ${ca.crls.length - 1} partition(s), valid until ${full.nextUpdate}`);
    for (const w of ca.warnings) lines.push(`warning: ${w}`);
  }
  const p = report.publication;
  lines.push(p ? `published ${p.files.join(', ')} to ${p.dir}` : 'no crl.publishDir configured: nothing published');
  return lines.join('\n');
}

function registerImport(group: Command): void {
  group
    .command('import <paths...>')
    .summary('online: store CRLs an offline CA signed (crl sign-request) as its current ones')
    .description(
      'On the online instance: check each CRL (PEM or DER; a folder means every *.crl, *.pem, *.der\n' +
        'in it) against the CA certificate known here (key identifier, issuer, signature), its times\n' +
        'and CRL number (above the stored ones), and that it lists every revocation recorded here for\n' +
        'the CA; then store the set as the CA\'s current CRLs, served at its URLs and published to\n' +
        'crl.publishDir. Anything wrong refuses the whole import, which stores nothing.',
    )
    .addHelpText('after', '\nExample:\n  $ fleetpki crl import /media/usb/offline-root-crls /media/usb/offline-devices-crls')
    .action((paths: string[], _o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const report = await importCrls(ctx, crlFiles(paths), actor);
        out.result(report, () => importText(report));
        if (report.publication?.reload && !report.publication.reload.ok) out.note(`warning: reload command failed: ${report.publication.reload.error}`);
      }),
    );
}

export function registerCrlOffline(group: Command): void {
  registerRequest(group);
  registerSignRequest(group);
  registerImport(group);
}
