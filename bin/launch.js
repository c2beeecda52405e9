// Shared by the launchers in this folder: whatever node started them (the system one may be
// 20), run a TypeScript entry point with the Node 24 the project pins through the npm `node`
// package, which strips types natively. Arguments, stdio, signals and the exit status pass
// straight through.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** `entry` is relative to the package root, e.g. src/cli/main.ts. */
export function launch(name, entry) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  const major = Number(process.versions.node.split('.')[0]);
  // Without the pinned binary (dependencies not installed), a current node can still do.
  const node = existsSync(pinned) ? pinned : major >= 24 ? process.execPath : null;
  if (!node) {
    process.stderr.write(`${name}: needs Node 24; run \`npm ci\` in ${root} to install the pinned one (found ${process.version})\n`);
    process.exit(1);
  }

  const child = spawn(node, [join(root, entry), ...process.argv.slice(2)], { stdio: 'inherit' });

  // Long-running commands drain on SIGTERM/SIGINT; a signal sent to this launcher must reach them too.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }

  child.on('error', (error) => {
    process.stderr.write(`${name}: cannot start ${node}: ${error.message}\n`);
    process.exit(1);
  });

  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal so a parent shell sees what really happened.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}
