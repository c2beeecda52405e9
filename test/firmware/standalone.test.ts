// The verifier is for devices: src/firmware/verify.ts must load without the fleetpki server,
// store or logger, so the device agent (and any other relying party) can import it alone.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/g;

/** Every file and package reached by the runtime (non-type) imports from `entry`. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (/^\s*(?:import|export)\s+type\s/.test(match[0].trimStart())) continue;
      const spec = match[1];
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(join(ROOT, 'src', 'firmware', 'verify.ts'));
  return { files, packages };
}

test('verify.ts reaches no store, app, API, CLI or server code, and no database, web or logging package', () => {
  const { files, packages } = importGraph(join(ROOT, 'src', 'firmware', 'verify.ts'));
  const local = [...files].map((f) => relative(ROOT, f));
  const forbidden = local.filter((f) => /^src\/(store|app|api|cli|revocation|ocsp|est|signer|lifecycle|config)\//.test(f));
  assert.deepEqual(forbidden, [], `verify.ts must stay standalone; it reaches ${forbidden.join(', ')}`);
  const allowed = (name: string) => name.startsWith('node:') || name.startsWith('@peculiar/') || name === 'typebox';
  assert.deepEqual([...packages].filter((p) => !allowed(p)), []);
  assert.ok(local.includes('src/x509/cms-read.ts'), 'the graph walk found the CMS reader');
});
