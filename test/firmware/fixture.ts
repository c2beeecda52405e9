// A fleetpki with a release signer, its code-signing certificate and key on disk (the key made
// by `openssl req`, as a signer would), the trusted bundle as `fleetpki ca chain code-signing`
// gives it, and helpers to sign images and write CRLs with fleetpki's own CRL generator.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caChainPem } from '../../src/app/cas.ts';
import { issueFromCsr } from '../../src/app/certificates.ts';
import { createDevice } from '../../src/app/devices.ts';
import { signAndRecordFirmware, type FirmwareSignRequest } from '../../src/app/firmware.ts';
import { firmwareFiles, type FirmwareFiles } from '../../src/firmware/file-names.ts';
import { loadSignerKey } from '../../src/firmware/signer-key.ts';
import type { VerifyInput } from '../../src/firmware/verify.ts';
import { crlService } from '../../src/revocation/crl-service.ts';
import type { CertificatesTable } from '../../src/store/schema.ts';
import { toPem } from '../../src/x509/pem.ts';
import { openTestFleet, opensslCsr, type CsrKey, type TestFleet } from '../helpers/context.ts';

export interface Signer {
  cert: CertificatesTable;
  certFile: string;
  keyFile: string;
}

export interface FirmwareFleet {
  fleet: TestFleet;
  dir: string;
  /** `fleetpki ca chain code-signing`: the code-signing CA then the root. */
  bundleFile: string;
  newSigner(key?: CsrKey, profile?: string, deviceClass?: string): Promise<Signer>;
  /** A fresh image of `size` random bytes. */
  image(name: string, size?: number): string;
  sign(signer: Signer, image: string, options?: Partial<FirmwareSignRequest>): Promise<FirmwareFiles>;
  /** The code-signing CA's full CRL as fleetpki signs it, written to a file. */
  crl(name?: string): Promise<string>;
  /** Verification inputs for a signed image on a `sensor` device running 1.0.0. */
  inputs(image: string, files: FirmwareFiles, extra?: Partial<VerifyInput>): VerifyInput;
  close(): Promise<void>;
}

let serial = 0;

export async function openFirmwareFleet(): Promise<FirmwareFleet> {
  const fleet = await openTestFleet();
  const { ctx, dir } = fleet;
  const bundleFile = join(dir, 'code-signing-chain.pem');
  writeFileSync(bundleFile, await caChainPem(ctx, 'code-signing'));

  async function newSigner(key: CsrKey = 'ec-p256', profile = 'code-signing', deviceClass = 'release-signer'): Promise<Signer> {
    const device = await createDevice(ctx, { externalSerial: `SIGNER-${++serial}`, deviceClass, environment: 'production' }, 'test');
    const csr = opensslCsr(dir, key);
    const cert = await issueFromCsr(ctx, { csr: csr.pem, profile, deviceId: device.id }, 'test');
    const certFile = join(dir, `signer-${serial}.pem`);
    writeFileSync(certFile, toPem(cert.der, 'CERTIFICATE'));
    return { cert, certFile, keyFile: csr.keyFile };
  }

  function image(name: string, size = 64 * 1024): string {
    const path = join(dir, name);
    writeFileSync(path, randomBytes(size));
    return path;
  }

  async function sign(signer: Signer, image: string, options: Partial<FirmwareSignRequest> = {}): Promise<FirmwareFiles> {
    const request: FirmwareSignRequest = {
      image,
      imageName: image.split('/').at(-1)!,
      version: '1.4.0',
      deviceClasses: ['sensor'],
      models: [],
      buildTime: new Date('2026-01-02T03:04:05Z'),
      privateKey: loadSignerKey(readFileSync(signer.keyFile)),
      certificate: readFileSync(signer.certFile),
      ...options,
    };
    const { signed } = await signAndRecordFirmware(ctx, request, 'test:release');
    const files = firmwareFiles(image);
    writeFileSync(files.signature, signed.imageSignature);
    writeFileSync(files.manifest, signed.manifestBytes);
    writeFileSync(files.manifestSignature, signed.manifestSignature);
    return files;
  }

  async function crl(name = 'code-signing.crl'): Promise<string> {
    const issuer = await ctx.cas.byName('code-signing');
    const rows = await crlService(ctx).regenerate(issuer, { full: true, partitions: [] });
    const path = join(dir, name);
    writeFileSync(path, rows.find((r) => r.partition === 'full')!.der);
    return path;
  }

  function inputs(image: string, files: FirmwareFiles, extra: Partial<VerifyInput> = {}): VerifyInput {
    return {
      image,
      signature: files.signature,
      manifest: files.manifest,
      manifestSignature: files.manifestSignature,
      trustBundle: bundleFile,
      revocation: {},
      device: { deviceClass: 'sensor', installedVersion: '1.0.0' },
      ...extra,
    };
  }

  return { fleet, dir, bundleFile, newSigner, image, sign, crl, inputs, close: () => fleet.close() };
}
