// Which files an import reads: the paths given, and under each folder every file whose name
// ends in .pem, .crt, .cer or .der, recursively. A file named explicitly is read whatever its
// name. Symbolic links to folders are not followed (a link back up would loop forever).

import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';

export const CERTIFICATE_EXTENSIONS = ['.pem', '.crt', '.cer', '.der'];
/** A certificate is a few KiB; a bundle of a whole factory batch a few MiB. Larger is not a certificate file. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

export interface FileSource {
  path: string;
  /** Set when the path cannot be used (missing, unreadable folder); the import reports it. */
  problem?: string;
}

const wanted = (name: string) => CERTIFICATE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

function walk(dir: string, out: FileSource[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    out.push({ path: dir, problem: `cannot list folder: ${(error as Error).message}` });
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if ((entry.isFile() || (entry.isSymbolicLink() && isFile(path))) && wanted(entry.name)) out.push({ path });
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every file to read, in a stable order; missing paths are listed with their problem. */
export function listSources(paths: string[]): FileSource[] {
  const out: FileSource[] = [];
  for (const given of paths) {
    const path = resolve(given);
    try {
      const stat = lstatSync(path).isSymbolicLink() ? statSync(path) : lstatSync(path);
      if (stat.isDirectory()) walk(path, out);
      else out.push({ path });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      out.push({ path, problem: code === 'ENOENT' ? 'no such file or folder' : (error as Error).message });
    }
  }
  return [...new Map(out.map((s) => [s.path, s])).values()];
}
