// `fleetpki export certificates|devices --format csv|json`: the whole inventory, streamed a
// batch at a time to stdout or a file (src/reporting/export-format.ts), never built in memory.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { exportChunks, type ExportFormat, type ExportKind } from '../../reporting/export-format.ts';
import { withSession } from '../session.ts';

/** stdout is never ended (Node does not close it), so it is written with backpressure by hand. */
async function toStdout(chunks: AsyncGenerator<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

function registerKind(group: Command, kind: ExportKind): void {
  group
    .command(kind)
    .summary(`every ${kind === 'certificates' ? 'certificate (with its device and issuer, without DER)' : 'device'} as CSV or JSON`)
    .addOption(new Option('--format <format>', 'csv (RFC 4180) or json (an array)').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText('after', `\nExamples:\n  $ fleetpki export ${kind} --format csv > ${kind}.csv\n  $ fleetpki export ${kind} --format json --out ${kind}.json`)
    .action((o: { format: ExportFormat; out?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const chunks = exportChunks(ctx.db, kind, o.format);
        if (o.out) await pipeline(Readable.from(chunks), createWriteStream(o.out));
        else await toStdout(chunks);
        if (o.out) out.note(`${kind} written to ${o.out}`);
      }),
    );
}

export function registerExport(program: Command): void {
  const group = program.command('export').summary('inventory exports: certificates or devices as CSV or JSON');
  registerKind(group, 'certificates');
  registerKind(group, 'devices');
}
