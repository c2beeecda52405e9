// The CSRs of a batch: every *.csr, *.pem, *.der or *.req file of a folder, or one file that
// holds any number of PEM requests one after the other. Each keeps a name (its file, or
// file#n inside a bundle) by which the manifest and the report refer to it.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { BadRequest } from '../errors.ts';
import { pemBlocks } from '../x509/pem.ts';

export interface CsrInput {
  name: string;
  bytes: Buffer;
}

const CSR_EXTENSIONS = new Set(['.csr', '.pem', '.der', '.req']);
const PEM_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

function fromFile(path: string): CsrInput[] {
  const bytes = readFileSync(path);
  const name = basename(path);
  if (bytes[0] === 0x30) return [{ name, bytes }];
  // A malformed block is reported against its entry by the issuance, not here: read leniently.
  let blocks: Buffer[] = [];
  try {
    blocks = PEM_LABELS.flatMap((label) => pemBlocks(bytes.toString('utf8'), label));
  } catch {
    return [{ name, bytes }];
  }
  if (blocks.length <= 1) return [{ name, bytes }];
  return blocks.map((der, i) => ({ name: `${name}#${i + 1}`, bytes: der }));
}

export function readCsrInputs(path: string): CsrInput[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new BadRequest(`cannot read ${path}: no such file or folder`);
  }
  if (!stat.isDirectory()) return fromFile(path);
  const files = readdirSync(path)
    .filter((file) => CSR_EXTENSIONS.has(extname(file).toLowerCase()))
    .sort();
  if (files.length === 0) throw new BadRequest(`no CSR files (*.csr, *.pem, *.der, *.req) in ${path}`);
  return files.flatMap((file) => fromFile(join(path, file)));
}
