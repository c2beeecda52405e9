// Entry point of the `fleetpki` command (bin/fleetpki.js runs this file with Node 24).

import { buildProgram } from './program.ts';
import { reportError } from './errors.ts';

/** Runs the CLI and returns the exit status; never exits by itself, so tests can call it. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, argv.includes('--json'));
  }
}

if (import.meta.main) {
  const code = await run(process.argv.slice(2));
  // Let stdout drain (a large JSON page into a pipe) instead of process.exit() cutting it off.
  process.exitCode = code;
}
