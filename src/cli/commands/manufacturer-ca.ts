// `fleetpki manufacturer create-ca` and `issue-idevid` (src/factory/manufacturer-ca.ts,
// idevid.ts): birth certificates for fleets whose maker puts none in the devices.

import { Option, type Command } from 'commander';
import { certificateView } from '../../app/views.ts';
import { createManufacturerCa } from '../../factory/manufacturer-ca.ts';
import { issueIdevid } from '../../factory/idevid.ts';
import { KEY_TYPES, type KeyType } from '../../x509/keys.ts';
import { toPem } from '../../x509/pem.ts';
import { readInput, writeOutput } from '../files.ts';
import { withSession } from '../session.ts';

interface CreateOptions {
  name: string;
  keyType: KeyType;
  commonName: string;
  organization?: string;
}

function registerCreateCa(group: Command): void {
  group
    .command('create-ca')
    .summary('create a manufacturer CA held by fleetpki, registered as a manufacturer trust anchor')
    .description('Create a self-signed manufacturer CA (never expires: 99991231235959Z, path length 0) whose key\nfleetpki keeps sealed like its other CAs, and register it as a manufacturer, so that devices\nwith IDevIDs from it (fleetpki manufacturer issue-idevid) can enrol over EST.')
    .requiredOption('--name <name>', 'CA and manufacturer name: lower case letters, digits and dashes')
    .addOption(new Option('--key-type <type>', 'key type of the CA').choices(KEY_TYPES).default('ec-p256'))
    .option('--common-name <cn>', 'subject CN (default "<name> IDevID CA")')
    .option('--organization <o>', 'subject O, also put in every IDevID it issues')
    .addHelpText('after', '\nExample:\n  $ fleetpki manufacturer create-ca --name acme-factory --organization "Acme Devices"')
    .action((o: Omit<CreateOptions, 'commonName'> & { commonName?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const spec = { name: o.name, keyType: o.keyType, commonName: o.commonName ?? `${o.name} IDevID CA`, ...(o.organization ? { organization: o.organization } : {}) };
        const { ca } = await createManufacturerCa(ctx, spec, actor);
        const pem = toPem(ca.certificate_der, 'CERTIFICATE');
        out.result({ name: ca.name, subject: ca.subject, notAfter: ca.not_after, certificatePem: pem }, () => `created manufacturer CA ${ca.name} (${ca.subject}), registered as manufacturer ${ca.name}\n${pem}`);
      }),
    );
}

interface IssueOptions {
  ca: string;
  serial: string;
  csr: string;
  out?: string;
}

function registerIssueIdevid(group: Command): void {
  group
    .command('issue-idevid')
    .summary('issue an IEEE 802.1AR birth certificate (IDevID) for a registered device')
    .description('Issue an IDevID from a manufacturer CA made with create-ca: subject serialNumber = the device\nserial, notAfter 99991231235959Z, keyUsage digitalSignature, extendedKeyUsage clientAuth.\nThe device must be registered; the certificate is recorded with it and audited.')
    .requiredOption('--ca <name>', 'the manufacturer CA')
    .requiredOption('--serial <serial>', "the device's serial (its externalSerial in the inventory)")
    .requiredOption('--csr <file>', "the device's CSR (PEM or DER); its subject is not used")
    .option('--out <file>', 'write the PEM here instead of stdout')
    .addHelpText('after', '\nExample:\n  $ fleetpki manufacturer issue-idevid --ca acme-factory --serial SN-0042 --csr sn-0042.csr --out sn-0042-idevid.pem')
    .action((o: IssueOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const row = await issueIdevid(ctx, { ca: o.ca, serial: o.serial, csr: readInput(o.csr) }, actor);
        const view = certificateView(row, o.ca);
        if (o.out) writeOutput(o.out, view.pem);
        out.note(`issued IDevID ${view.id} (serial ${view.serial}, ${view.subject}) by ${o.ca}${o.out ? `; written to ${o.out}` : ''}`);
        if (out.json) out.result(view, () => '');
        else if (!o.out) out.result(null, () => view.pem);
      }),
    );
}

export function registerManufacturerCa(group: Command): void {
  registerCreateCa(group);
  registerIssueIdevid(group);
}
