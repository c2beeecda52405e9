// Firmware signing and verification throughput on a 100 MB image (BENCH_FIRMWARE_MB to
// change), in MB/s, beside `sha256sum` on the same file in the same run: both fleetpki paths
// are one streamed SHA-256 pass plus a few signatures, so sha256sum is the limit. Each phase
// runs three times and the best is kept (the first sha256sum run also warms the page cache).
// Peak RSS is printed to show the image is streamed, never loaded whole.

import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { caChainPem } from '../src/app/cas.ts';
import { issueFromCsr } from '../src/app/certificates.ts';
import { closeContext, openContext, type Context } from '../src/app/context.ts';
import { createDevice } from '../src/app/devices.ts';
import { signAndRecordFirmware } from '../src/app/firmware.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { verifyFirmware } from '../src/firmware/verify.ts';
import { crlService } from '../src/revocation/crl-service.ts';
import { makeCsr } from './csr.ts';

const MB = Number(process.env.BENCH_FIRMWARE_MB ?? 100);
const RUNS = 3;

function writeImage(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < MB; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
}

async function best(run: () => Promise<unknown> | unknown): Promise<number> {
  let seconds = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return seconds;
}

/** What a plain read stream gives, for comparison with digest-file.ts's reused buffer. */
async function nodeSha256(path: string): Promise<void> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  hash.digest();
}

async function setup(dir: string): Promise<{ ctx: Context; certificate: Buffer; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] }> {
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, { ...process.env, FLEETPKI_SCRYPT_LOG2N: '14' });
  const ctx = await openContext(config, { log: pino({ level: 'silent' }) });
  await initialize(ctx);
  const device = await createDevice(ctx, { externalSerial: 'BENCH-SIGNER', deviceClass: 'release-signer', environment: 'production' }, 'bench');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = await issueFromCsr(ctx, { csr: makeCsr(privateKey, publicKey), profile: 'code-signing', deviceId: device.id }, 'bench');
  return { ctx, certificate: cert.der, privateKey };
}

function line(label: string, seconds: number, limit: number): string {
  const rate = MB / seconds;
  return `  ${label.padEnd(38)} ${rate.toFixed(0).padStart(6)} MB/s  ${seconds.toFixed(3)} s   ratio to sha256sum ${(rate / (MB / limit)).toFixed(2)}`;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpki-bench-firmware-'));
  const image = join(dir, 'image.bin');
  writeImage(image);
  const { ctx, certificate, privateKey } = await setup(dir);
  const files = { signature: `${image}.sig`, manifest: `${image}.manifest.json`, manifestSignature: `${image}.manifest.json.sig` };
  const bundle = join(dir, 'bundle.pem');
  const crl = join(dir, 'code-signing.crl');
  writeFileSync(bundle, await caChainPem(ctx, 'code-signing'));
  writeFileSync(crl, (await crlService(ctx).current('code-signing', 'full')).der);

  const limit = await best(() => execFileSync('sha256sum', [image]));
  const rssBefore = process.resourceUsage().maxRSS;
  const sign = await best(async () => {
    const request = { image, imageName: 'image.bin', version: '1.0.0', deviceClasses: ['sensor'], models: [], buildTime: new Date(), privateKey, certificate };
    const { signed } = await signAndRecordFirmware(ctx, request, 'bench');
    writeFileSync(files.signature, signed.imageSignature);
    writeFileSync(files.manifest, signed.manifestBytes);
    writeFileSync(files.manifestSignature, signed.manifestSignature);
  });
  const verify = await best(() => verifyFirmware({ image, ...files, trustBundle: bundle, revocation: { crl }, device: { deviceClass: 'sensor', installedVersion: '0.9.0' } }));
  const rssAfter = process.resourceUsage().maxRSS;
  const rawNode = await best(() => nodeSha256(image));
  const openssl = await best(() => execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-content', image, '-in', files.signature, '-CAfile', bundle, '-purpose', 'any', '-out', '/dev/null'], { stdio: 'ignore' }));

  console.log(`fleetpki firmware benchmark: ${MB} MB image, ECDSA P-256 signer, best of ${RUNS} runs each`);
  console.log(line('sha256sum (the limit)', limit, limit));
    console.log(line('firmware sign (recorded, audited)', sign, limit));
  console.log(line('firmware verify (CRL)', verify, limit));
  console.log(line('node:crypto SHA-256, fs read stream', rawNode, limit));
  console.log(line('openssl cms -verify (for comparison)', openssl, limit));
  console.log(`  peak RSS ${(rssBefore / 1024).toFixed(0)} MB before signing, ${(rssAfter / 1024).toFixed(0)} MB after signing and verifying the ${MB} MB image`);
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}

await main();
