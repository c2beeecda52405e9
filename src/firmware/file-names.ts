// Where the signature files sit beside an image unless named otherwise, the same for
// `fleetpki firmware sign`, `fleetpki firmware verify` and `fleetpki-agent verify-firmware`:
//   image.bin  image.bin.sig  image.bin.manifest.json  image.bin.manifest.json.sig

import { basename, join } from 'node:path';

export interface FirmwareFiles {
  signature: string;
  manifest: string;
  manifestSignature: string;
}

export function firmwareFiles(image: string, dir?: string): FirmwareFiles {
  const stem = dir ? join(dir, basename(image)) : image;
  return { signature: `${stem}.sig`, manifest: `${stem}.manifest.json`, manifestSignature: `${stem}.manifest.json.sig` };
}
