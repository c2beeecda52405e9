// Signing a firmware image: one streamed pass over the image for its digests, a manifest
// naming it, and two detached CMS signatures (image, manifest) by the release signer's
// code-signing certificate. No store here: recording the signing is the caller's part
// (src/app/firmware.ts), done before the signatures are handed out.

import { createHash, type KeyObject } from 'node:crypto';
import { PolicyDenied, BadRequest } from '../errors.ts';
import type { CertificateInfo } from '../x509/certificate.ts';
import type { DigestName } from '../x509/cms-algorithms.ts';
import { signDetached } from '../x509/cms-sign.ts';
import { signatureScheme } from '../x509/keys.ts';
import { digestFile } from './digest-file.ts';
import { buildManifest, type Manifest } from './manifest.ts';
import { assertKeyMatches } from './signer-key.ts';
import { assertCodeSigning } from './trust.ts';

export interface SignInput {
  /** Path of the image; streamed, never read whole. */
  image: string;
  /** Name recorded in the manifest (usually the image's file name). */
  imageName: string;
  version: string;
  minVersion?: string;
  deviceClasses: string[];
  models: string[];
  buildTime: Date;
  privateKey: KeyObject;
  signer: CertificateInfo;
  /** The signer's issuing CA certificate (and any intermediates), DER, carried in the signatures. */
  chain: Buffer[];
  now?: Date;
}

export interface SignedFirmware {
  manifest: Manifest;
  manifestBytes: Buffer;
  imageSignature: Buffer;
  manifestSignature: Buffer;
  imageSha256: string;
  size: number;
  signingTime: Date;
}

function checkSigner(input: SignInput, now: Date): DigestName {
  const { signer } = input;
  assertKeyMatches(input.privateKey, signer);
  assertCodeSigning(signer);
  if (now < signer.notBefore || now > signer.notAfter) {
    throw new PolicyDenied(`the signer certificate ${signer.subject} is not valid now (valid ${signer.notBefore.toISOString()} to ${signer.notAfter.toISOString()}); get a new one`);
  }
  if (signer.key.family === 'ed25519') throw new PolicyDenied('Ed25519 signer keys are not supported for firmware; use ec-p256, ec-p384 or RSA');
  if (input.chain.length === 0 || !input.chain.some((ca) => ca.length > 0)) throw new BadRequest('the issuing CA certificate must be included');
  return signatureScheme(signer.key).digest as DigestName;
}

/** The serial as INTEGER content: two's complement, so a leading 1 bit needs a zero byte. */
function integerContent(serialHex: string): Buffer {
  const bytes = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  return bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

function manifestFor(input: SignInput, image: Manifest['image']) {
  return buildManifest({
    image,
    version: input.version,
    minVersion: input.minVersion,
    targets: { deviceClasses: input.deviceClasses, models: input.models },
    buildTime: input.buildTime.toISOString(),
  });
}

export async function signFirmware(input: SignInput): Promise<SignedFirmware> {
  const signingTime = new Date(Math.floor((input.now ?? new Date()).getTime() / 1000) * 1000);
  const digest = checkSigner(input, signingTime);
  // Refuse a bad version or empty targets before reading what may be a large image.
  manifestFor(input, { name: input.imageName, sha256: '0'.repeat(64), size: 0 });
  const { size, digests } = await digestFile(input.image, ['sha256', digest]);
  const imageSha256 = digests.get('sha256')!.toString('hex');
  const { manifest, bytes } = manifestFor(input, { name: input.imageName, sha256: imageSha256, size });
  const common = {
    digest,
    signingTime,
    privateKey: input.privateKey,
    signerDer: input.signer.der,
    issuerDer: input.signer.issuerDer,
    serial: integerContent(input.signer.serialHex),
    signatureAlgorithmDer: signatureScheme(input.signer.key).algorithmDer,
    chainDer: input.chain,
  };
  const imageSignature = signDetached({ ...common, contentDigest: digests.get(digest)! });
  const manifestSignature = signDetached({ ...common, contentDigest: createHash(digest).update(bytes).digest() });
  return { manifest, manifestBytes: bytes, imageSignature, manifestSignature, imageSha256, size, signingTime };
}
