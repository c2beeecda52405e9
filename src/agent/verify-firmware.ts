// `fleetpki-agent verify-firmware`: the device's check of a downloaded update before it is
// installed, with fleetpki's verifier (src/firmware/verify.ts), which needs no server. Exit 0
// means install; 1 means do not, with the reason and the failed check; 2 a bad command line.

import { parseArgs } from 'node:util';
import { FleetPkiError } from '../errors.ts';
import { firmwareFiles } from '../firmware/file-names.ts';
import { verifyFirmware, type VerifiedFirmware } from '../firmware/verify.ts';

export const VERIFY_FIRMWARE_USAGE = `Usage: fleetpki-agent verify-firmware --image <file> --ca-bundle <file> --device-class <class>
                                       --installed-version <semver> [options]

Checks a firmware image before it is installed: the detached signature and the signed
manifest (default <image>.sig, <image>.manifest.json, <image>.manifest.json.sig), the signer's
chain to the code-signing CA bundle, its revocation status, the device class and model, and
that the version is not older than the installed one. Exit 0: install. Exit 1: do not.

Options:
  --signature <file>, --manifest <file>, --manifest-signature <file>   other file names
  --crl <file>          the code-signing CA's CRL (DER or PEM)
  --ocsp-url <url>      ask this OCSP responder (falls back to --crl when it cannot answer)
  --offline             no network: accept the last --crl even past its nextUpdate
  --model <model>       the device's model, for images limited to models
  --json                the result (or the refusal, with its check) as JSON on stdout

Example:
  fleetpki-agent verify-firmware --image /data/update.bin --ca-bundle /etc/fleetpki/code-signing.pem \\
      --crl /var/lib/fleetpki-agent/code-signing.crl --offline --device-class sensor --installed-version 1.3.2`;

const OPTIONS = {
  image: { type: 'string' },
  signature: { type: 'string' },
  manifest: { type: 'string' },
  'manifest-signature': { type: 'string' },
  'ca-bundle': { type: 'string' },
  crl: { type: 'string' },
  'ocsp-url': { type: 'string' },
  offline: { type: 'boolean' },
  'device-class': { type: 'string' },
  model: { type: 'string' },
  'installed-version': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function required(values: Values, names: Array<'image' | 'ca-bundle' | 'device-class' | 'installed-version'>): string | null {
  const missing = names.filter((name) => !values[name]);
  return missing.length > 0 ? `verify-firmware needs ${missing.map((m) => `--${m}`).join(', ')}` : null;
}

function verify(values: Values): Promise<VerifiedFirmware> {
  const image = values.image!;
  const defaults = firmwareFiles(image);
  const manifest = values.manifest ?? defaults.manifest;
  return verifyFirmware({
    image,
    signature: values.signature ?? defaults.signature,
    manifest,
    manifestSignature: values['manifest-signature'] ?? `${manifest}.sig`,
    trustBundle: values['ca-bundle']!,
    revocation: { crl: values.crl, ocspUrl: values['ocsp-url'], offline: values.offline },
    device: { deviceClass: values['device-class']!, model: values.model, installedVersion: values['installed-version']! },
  });
}

function refusal(error: unknown, json: boolean, io: Io): number {
  if (!(error instanceof FleetPkiError)) throw error;
  const check = error.details?.check ?? null;
  if (json) io.out(`${JSON.stringify({ verified: false, error: { code: error.code, check, message: error.message } }, null, 2)}\n`);
  else io.err(`fleetpki-agent: firmware refused${check ? ` (${check})` : ''}: ${error.message}\n`);
  return 1;
}

export async function verifyFirmwareCommand(argv: string[], io: Io): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false }).values;
  } catch (error) {
    io.err(`fleetpki-agent: ${(error as Error).message}\n(add --help for usage)\n`);
    return 2;
  }
  if (values.help) return (io.out(`${VERIFY_FIRMWARE_USAGE}\n`), 0);
  const missing = required(values, ['image', 'ca-bundle', 'device-class', 'installed-version']);
  if (missing) return (io.err(`fleetpki-agent: ${missing}\n(add --help for usage)\n`), 2);
  try {
    const verified = await verify(values);
    const line = `verified: ${verified.manifest.image.name} version ${verified.manifest.version}, sha256 ${verified.imageSha256}, signed by ${verified.signer.subject} at ${verified.signingTime}`;
    io.out(values.json ? `${JSON.stringify({ verified: true, ...verified }, null, 2)}\n` : `${line}\n`);
    return 0;
  } catch (error) {
    return refusal(error, Boolean(values.json), io);
  }
}
