// Verifying a firmware update, as fleetpki's CLI and the device agent do it. Self-contained on
// purpose: no server, no store, no logger, only node:crypto and the x509 readers, so the
// device agent can import it. Every input that cannot be verified is refused with a named
// check (src/firmware/refusal.ts) and a sentence saying why.
//
// Order: the small things first (manifest signature, targets, versions, signer, revocation),
// then one streamed pass over the image, which is the expensive part.

import { createHash } from 'node:crypto';
import type { CertificateInfo } from '../x509/certificate.ts';
import { digestName } from '../x509/cms-algorithms.ts';
import { readDetachedSignature, signerInfoSignatureValid, type DetachedSignature } from '../x509/cms-read.ts';
import { digestFile } from './digest-file.ts';
import { readSmall, type PathOrBytes } from './inputs.ts';
import { checkManifestFitsDevice, parseManifest, type DeviceFacts, type Manifest } from './manifest.ts';
import { refuse, step, type FirmwareCheck } from './refusal.ts';
import { checkRevocation, type RevocationAnswer, type RevocationSources } from './revocation.ts';
import { parseSemVer } from './semver.ts';
import { checkSignerTrust, findSigner, loadTrustBundle, type TrustedCa } from './trust.ts';

export interface VerifyInput {
  /** Path of the image; it is streamed, never read whole. */
  image: string;
  signature: PathOrBytes;
  manifest: PathOrBytes;
  manifestSignature: PathOrBytes;
  /** The trusted code-signing CA bundle (PEM): `fleetpki ca chain code-signing`. */
  trustBundle: PathOrBytes;
  revocation: RevocationSources;
  device: DeviceFacts;
  /** The verifier's clock; defaults to now. */
  now?: Date;
}

export interface VerifiedFirmware {
  manifest: Manifest;
  imageSha256: string;
  size: number;
  signer: { subject: string; issuer: string; serial: string; fingerprintSha256: string };
  signingTime: string;
  revocation: RevocationAnswer;
}

interface SignatureCheck {
  sig: DetachedSignature;
  signer: CertificateInfo;
  ca: TrustedCa;
  signingTime: Date;
}

/** The signature over the signed attributes and the signer's trust; not yet the content. */
function checkSignature(sig: DetachedSignature, bundle: TrustedCa[], now: Date, check: FirmwareCheck, what: string): SignatureCheck {
  if (!sig.signingTime) throw refuse('signing-time', `the ${what} has no signingTime attribute; the signer's validity cannot be checked`);
  const signer = findSigner(sig.certificates, sig.signer, what);
  if (!signerInfoSignatureValid(sig, signer.publicKey)) throw refuse(check, `the ${what} does not verify with the key of ${signer.subject}`);
  const ca = checkSignerTrust(signer, bundle, sig.signingTime, now);
  return { sig, signer, ca, signingTime: sig.signingTime };
}

async function checkManifest(input: VerifyInput, bundle: TrustedCa[], now: Date): Promise<{ manifest: Manifest; checked: SignatureCheck }> {
  const bytes = readSmall(input.manifest, 'manifest', 'manifest-format');
  const checked = await step('manifest-signature', 'manifest signature', () => {
    const sig = readDetachedSignature(readSmall(input.manifestSignature, 'manifest signature', 'manifest-signature'));
    const result = checkSignature(sig, bundle, now, 'manifest-signature', 'manifest signature');
    if (!createHash(digestName(sig.digestOid)).update(bytes).digest().equals(sig.messageDigest)) {
      throw refuse('manifest-signature', 'the manifest has been changed since it was signed (its digest does not match the signature)');
    }
    return result;
  });
  return { manifest: parseManifest(bytes), checked };
}

async function checkImageSignature(input: VerifyInput, bundle: TrustedCa[], now: Date, manifestSigner: CertificateInfo): Promise<SignatureCheck> {
  const checked = await step('image-signature', 'image signature', () => {
    const sig = readDetachedSignature(readSmall(input.signature, 'image signature', 'image-signature'));
    return checkSignature(sig, bundle, now, 'image-signature', 'image signature');
  });
  if (checked.signer.fingerprintSha256 !== manifestSigner.fingerprintSha256) {
    throw refuse('signer-mismatch', `the image and its manifest are signed by different certificates (${checked.signer.subject} and ${manifestSigner.subject})`);
  }
  return checked;
}

/** One pass over the image: its SHA-256 (the manifest's) and the CMS digest (the signature's). */
async function checkImage(image: string, manifest: Manifest, sig: DetachedSignature): Promise<{ sha256: string; size: number }> {
  const cmsDigest = await step('image-signature', 'image signature', () => digestName(sig.digestOid));
  const { size, digests } = await step('inputs', 'image', () => digestFile(image, ['sha256', cmsDigest]));
  if (!digests.get(cmsDigest)!.equals(sig.messageDigest)) {
    throw refuse('image-signature', 'the image does not match its signature: it has been changed since it was signed');
  }
  const sha256 = digests.get('sha256')!.toString('hex');
  if (sha256 !== manifest.image.sha256 || size !== manifest.image.size) {
    throw refuse('image-digest', `the image (sha256 ${sha256}, ${size} bytes) is not the one the manifest names (sha256 ${manifest.image.sha256}, ${manifest.image.size} bytes)`);
  }
  return { sha256, size };
}

export async function verifyFirmware(input: VerifyInput): Promise<VerifiedFirmware> {
  const now = input.now ?? new Date();
  await step('inputs', 'installed version', () => parseSemVer(input.device.installedVersion, 'installed version'));
  const bundle = await step('trust-bundle', 'trusted CA bundle', () => loadTrustBundle(readSmall(input.trustBundle, 'trusted CA bundle', 'trust-bundle')));
  const { manifest, checked } = await checkManifest(input, bundle, now);
  checkManifestFitsDevice(manifest, input.device);
  const image = await checkImageSignature(input, bundle, now, checked.signer);
  const revocation = await step('revocation', 'revocation check', () => checkRevocation(input.revocation, image.signer, image.ca, now));
  const { sha256, size } = await checkImage(input.image, manifest, image.sig);
  const { signer } = image;
  return {
    manifest,
    imageSha256: sha256,
    size,
    signer: { subject: signer.subject, issuer: signer.issuer, serial: signer.serialHex, fingerprintSha256: signer.fingerprintSha256 },
    signingTime: image.signingTime.toISOString(),
    revocation,
  };
}
