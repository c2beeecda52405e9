// `fleetpki firmware ...`: sign an image as a release signer (recorded in the store and the
// audit log before the signature files are written), verify an image the way a device does
// (no store needed), and list the recorded signings.

import { statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { listFirmwareSignatures, signAndRecordFirmware } from '../../app/firmware.ts';
import { BadRequest } from '../../errors.ts';
import { firmwareFiles } from '../../firmware/file-names.ts';
import { loadSignerKey } from '../../firmware/signer-key.ts';
import { verifyFirmware, type VerifiedFirmware } from '../../firmware/verify.ts';
import { readInput } from '../files.ts';
import { keyValues, pagingNote, table } from '../output.ts';
import { pageLimit } from '../parse.ts';
import { outputOf, withSession } from '../session.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SignOptions {
  image: string;
  key: string;
  keyPassphraseFile?: string;
  cert: string;
  version: string;
  minVersion?: string;
  deviceClass: string[];
  model: string[];
  buildTime?: string;
  outDir?: string;
}

function buildTime(o: SignOptions): Date {
  if (o.buildTime === undefined) {
    try {
      return statSync(o.image).mtime;
    } catch {
      throw new BadRequest(`cannot read image ${o.image}: no such file`);
    }
  }
  const time = Date.parse(o.buildTime);
  if (Number.isNaN(time)) throw new BadRequest(`--build-time ${o.buildTime} is not an ISO 8601 date/time`);
  return new Date(time);
}

function passphrase(o: SignOptions): string | undefined {
  if (o.keyPassphraseFile) return readInput(o.keyPassphraseFile).toString('utf8').trim();
  return process.env.FLEETPKI_SIGNER_KEY_PASSPHRASE;
}

function writeFiles(files: Record<string, string>, contents: Record<string, Buffer>): void {
  for (const [name, path] of Object.entries(files)) {
    try {
      writeFileSync(path, contents[name]);
    } catch (error) {
      throw new BadRequest(`cannot write ${path}: ${(error as Error).message}`);
    }
  }
}

function registerSign(group: Command): void {
  group
    .command('sign')
    .summary('sign an image: detached CMS signature + signed manifest, recorded and audited')
    .description('Sign a firmware image with a release signer\'s code-signing certificate and key.\nWrites <image>.sig (detached CMS, DER), <image>.manifest.json and <image>.manifest.json.sig\nbeside the image or in --out-dir, after recording the signing in the store and the audit log.\nThe key stays the signer\'s: it is read for this signing only and never stored.')
    .requiredOption('--image <file>', 'the firmware image (streamed, any size)')
    .requiredOption('--key <file>', "the release signer's private key (PEM; encrypted PEM with FLEETPKI_SIGNER_KEY_PASSPHRASE or --key-passphrase-file)")
    .option('--key-passphrase-file <file>', 'file holding the passphrase of an encrypted key')
    .requiredOption('--cert <file>', "the signer's code-signing certificate (PEM or DER), issued by this fleetpki")
    .requiredOption('--version <semver>', 'the version the image carries, e.g. 1.4.0')
    .option('--min-version <semver>', 'lowest installed version the image may be applied over')
    .option('--device-class <class>', 'device class the image is for (repeatable)', collect, [])
    .option('--model <model>', 'device model the image is for (repeatable)', collect, [])
    .option('--build-time <iso>', "when the image was built (default: the image file's modification time)")
    .option('--out-dir <dir>', 'write the signature files here instead of beside the image')
    .addHelpText('after', '\nExample:\n  $ fleetpki firmware sign --image sensor-1.4.0.bin --key signer.key --cert signer.pem \\\n      --version 1.4.0 --min-version 1.2.0 --device-class sensor')
    .action((o: SignOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const request = {
          image: o.image,
          imageName: basename(o.image),
          version: o.version,
          minVersion: o.minVersion,
          deviceClasses: o.deviceClass,
          models: o.model,
          buildTime: buildTime(o),
          privateKey: loadSignerKey(readInput(o.key), passphrase(o)),
          certificate: readInput(o.cert),
        };
        const { signed, record } = await signAndRecordFirmware(ctx, request, actor);
        const files = firmwareFiles(o.image, o.outDir);
        writeFiles({ ...files }, { signature: signed.imageSignature, manifest: signed.manifestBytes, manifestSignature: signed.manifestSignature });
        const result = { id: record.id, imageSha256: record.image_sha256, size: record.image_size, version: record.version, certificateId: record.certificate_id, signingTime: record.signing_time, files };
        out.result(result, () => keyValues(Object.entries({ ...result, files: undefined, ...files })));
      }),
    );
}

interface VerifyOptions {
  image: string;
  signature?: string;
  manifest?: string;
  manifestSignature?: string;
  caBundle: string;
  crl?: string;
  ocspUrl?: string;
  offline?: boolean;
  deviceClass: string;
  model?: string;
  installedVersion: string;
}

function humanVerified(v: VerifiedFirmware): string {
  const { revocation: r } = v;
  const status = r.source === 'ocsp' ? `good (OCSP ${r.url}, until ${r.nextUpdate})` : `not on the CRL of ${r.thisUpdate}${r.stale ? ' (out of date: offline mode)' : ''}`;
  return `verified: ${v.manifest.image.name} version ${v.manifest.version}\n${keyValues([
    ['sha256', v.imageSha256],
    ['size', v.size],
    ['signer', v.signer.subject],
    ['signer serial', v.signer.serial],
    ['signed at', v.signingTime],
    ['revocation', status],
  ])}`;
}

function registerVerify(group: Command): void {
  group
    .command('verify')
    .summary("verify an image as a device does (signatures, chain, revocation, class, anti-rollback)")
    .description('Verify a firmware image, its detached signature and its signed manifest against the trusted\ncode-signing CA bundle, the way the device agent does; needs no fleetpki database.\nExit 0 when every check passes, 1 with the reason (and in --json the failed check) otherwise.')
    .requiredOption('--image <file>', 'the firmware image')
    .option('--signature <file>', 'detached CMS signature of the image (default <image>.sig)')
    .option('--manifest <file>', 'the manifest (default <image>.manifest.json)')
    .option('--manifest-signature <file>', "the manifest's signature (default <manifest>.sig)")
    .requiredOption('--ca-bundle <file>', 'trusted code-signing CA bundle: `fleetpki ca chain code-signing`')
    .option('--crl <file>', "the code-signing CA's CRL (DER or PEM)")
    .option('--ocsp-url <url>', 'OCSP responder to ask about the signer (falls back to --crl if it cannot answer)')
    .option('--offline', 'no network: use the --crl file even if it is past its nextUpdate')
    .requiredOption('--device-class <class>', "the device's class")
    .option('--model <model>', "the device's model")
    .requiredOption('--installed-version <semver>', 'the version installed now (anti-rollback)')
    .addHelpText('after', '\nExample:\n  $ fleetpki firmware verify --image sensor-1.4.0.bin --ca-bundle code-signing-chain.pem \\\n      --crl code-signing.crl --device-class sensor --installed-version 1.3.2')
    .action(async (o: VerifyOptions, c: Command) => {
      const out = outputOf(c);
      const defaults = firmwareFiles(o.image);
      const manifest = o.manifest ?? defaults.manifest;
      const verified = await verifyFirmware({
        image: o.image,
        signature: o.signature ?? defaults.signature,
        manifest,
        manifestSignature: o.manifestSignature ?? `${manifest}.sig`,
        trustBundle: o.caBundle,
        revocation: { crl: o.crl, ocspUrl: o.ocspUrl, offline: o.offline },
        device: { deviceClass: o.deviceClass, model: o.model, installedVersion: o.installedVersion },
      });
      out.result(verified, () => humanVerified(verified));
    });
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('list recorded firmware signings, oldest first')
    .option('--sha256 <hex>', 'only signings of this image hash')
    .option('--certificate <id>', 'only signings by this certificate')
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 100)
    .option('--after <cursor>', 'continue after this cursor')
    .action((o: { sha256?: string; certificate?: string; limit: number; after?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const page = await listFirmwareSignatures(ctx, { imageSha256: o.sha256, certificateId: o.certificate }, { limit: o.limit, after: o.after });
        const items = page.items.map((r) => ({ id: r.id, imageSha256: r.image_sha256, size: r.image_size, version: r.version, certificateId: r.certificate_id, actor: r.actor, signingTime: r.signing_time, manifest: JSON.parse(r.manifest) }));
        out.result({ items, nextCursor: page.nextCursor }, () =>
          table(['id', 'version', 'sha256', 'certificate', 'actor', 'signed at'], items.map((i) => [i.id, i.version, i.imageSha256, i.certificateId, i.actor, i.signingTime])),
        );
        pagingNote(out, page.nextCursor);
      }),
    );
}

export function registerFirmware(program: Command): void {
  const group = program
    .command('firmware')
    .summary('firmware: sign images as a release signer, verify them, list signings')
    .description('Signed firmware and verified updates (docs/firmware.md).');
  registerSign(group);
  registerVerify(group);
  registerList(group);
}
