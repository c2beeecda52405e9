// Entry point of `fleetpki-agent` (bin/fleetpki-agent.js runs this file with Node 24).
// SIGTERM and SIGINT stop `run` between steps; a renewal in flight finishes first.

import { run } from './cli.ts';

if (import.meta.main) {
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());
  process.exitCode = await run(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
  });
}
