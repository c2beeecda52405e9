// `fleetpki manufacturer ...`: trust anchors for devices' IEEE 802.1AR birth certificates
// (IDevIDs). A registered device whose IDevID chains to one enrols over EST without a secret.

import type { Command } from 'commander';
import { addManufacturer, listManufacturers, manufacturerView, type ManufacturerView } from '../../app/manufacturers.ts';
import { readInput } from '../files.ts';
import { keyValues, table } from '../output.ts';
import { withSession } from '../session.ts';
import { registerManufacturerCa } from './manufacturer-ca.ts';

function details(m: ManufacturerView): string {
  const { certificatePem: _, ...rest } = m;
  return keyValues(Object.entries(rest));
}

export function registerManufacturer(program: Command): void {
  const group = program
    .command('manufacturer')
    .summary('manufacturer CAs that device birth certificates (IDevIDs) chain to: add, list, create-ca, issue-idevid')
    .description('Manage the manufacturer trust anchors used for EST enrolment with an IEEE 802.1AR IDevID.');
  group
    .command('add')
    .summary("register a manufacturer's CA certificate")
    .requiredOption('--name <name>', 'name of the manufacturer (unique)')
    .requiredOption('--cert <file>', "the manufacturer's CA certificate, PEM or DER")
    .addHelpText('after', '\nExample:\n  $ fleetpki manufacturer add --name acme --cert acme-idevid-ca.pem')
    .action((o: { name: string; cert: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const view = manufacturerView(await addManufacturer(ctx, o.name, readInput(o.cert), actor));
        out.result(view, () => `registered manufacturer ${view.name}\n${details(view)}`);
      }),
    );
  group
    .command('list')
    .summary('list registered manufacturers')
    .action((_o, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const items = (await listManufacturers(ctx)).map(manufacturerView);
        out.result({ items }, () => table(['name', 'subject', 'not after', 'sha256 fingerprint'], items.map((m) => [m.name, m.subject, m.notAfter, m.fingerprintSha256])));
      }),
    );
  registerManufacturerCa(group);
}
