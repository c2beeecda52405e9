// The offline-root flow as commands (src/factory/ca-*.ts): `ca request` and `ca install` on
// the online instance, `ca sign-request` on the offline one. Only files cross: a CSR one
// way, a certificate the other. `ca import-issuing` makes an issuing CA kept offline known
// online by its certificate, for `cert import --bundle`.

import { Option, type Command } from 'commander';
import { basename, extname } from 'node:path';
import type { CaView } from '../../app/cas.ts';
import { importIssuingCa } from '../../factory/ca-import-issuing.ts';
import { installIssuingCa } from '../../factory/ca-install.ts';
import { requestIssuingCa } from '../../factory/ca-request.ts';
import { signCaRequest } from '../../factory/ca-sign-request.ts';
import { KEY_TYPES, type KeyType } from '../../x509/keys.ts';
import { toPem } from '../../x509/pem.ts';
import { readCertificatePem, readInput, writeOutput } from '../files.ts';
import { keyValues } from '../output.ts';
import { positiveInt } from '../parse.ts';
import { withSession } from '../session.ts';

interface RequestOptions {
  name: string;
  keyType: KeyType;
  commonName: string;
  organization?: string;
  out?: string;
}

function registerRequest(group: Command): void {
  group
    .command('request')
    .summary('make the key of an issuing CA whose root is offline, and its CSR to carry there')
    .description('On the online instance: generate an issuing CA key, seal it in <dataDir>/pending-cas/<name>.json\nand write a CSR (PEM) for the offline root to sign with `fleetpki ca sign-request`.\nThe key never leaves this instance. Finish with `fleetpki ca install`.')
    .requiredOption('--name <name>', 'CA name: lower case letters, digits and dashes')
    .addOption(new Option('--key-type <type>', 'key type of the new CA').choices(KEY_TYPES).default('ec-p256'))
    .requiredOption('--common-name <cn>', 'subject CN of the CA certificate')
    .option('--organization <o>', 'subject O of the CA certificate')
    .option('--out <file>', 'where to write the CSR (default <name>.csr)')
    .addHelpText('after', '\nExample:\n  $ fleetpki ca request --name devices-eu --common-name "Fleet Devices EU CA" --out /media/usb/devices-eu.csr')
    .action((o: RequestOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const spec = { name: o.name, keyType: o.keyType, commonName: o.commonName, ...(o.organization ? { organization: o.organization } : {}) };
        const { csrPem, pendingFile } = await requestIssuingCa(ctx, spec, actor);
        const file = o.out ?? `${o.name}.csr`;
        writeOutput(file, csrPem);
        out.result({ name: o.name, csrFile: file, pendingFile }, () => `CSR for CA ${o.name} written to ${file}; its key waits sealed in ${pendingFile}\nnext: on the offline instance, fleetpki ca sign-request --csr ${basename(file)} --parent <root>`);
      }),
    );
}

interface SignOptions {
  csr: string;
  parent: string;
  name?: string;
  validityDays: number;
  out?: string;
}

function registerSignRequest(group: Command): void {
  group
    .command('sign-request')
    .summary('sign an issuing CA request with a root held here (the offline instance)')
    .description('On the offline instance that holds the root key: sign an issuing CA certificate for a CSR\nmade by `fleetpki ca request`: CA, path length 0, keyCertSign and cRLSign, inside the\nroot\'s validity; the CRL and caIssuers URLs come from --public-url. The certificate is\nrecorded here before it is written out.')
    .requiredOption('--csr <file>', 'the CSR from `fleetpki ca request`')
    .requiredOption('--parent <root>', 'the root CA that signs it')
    .option('--name <name>', 'name to record the CA under here (default: the CSR file name without extension)')
    .requiredOption('--validity-days <days>', "lifetime in days (capped at the root's own expiry)", positiveInt)
    .option('--out <file>', 'where to write the certificate (default <name>.pem)')
    .addHelpText('after', '\nExample:\n  $ fleetpki --public-url https://pki.example.com ca sign-request --csr devices-eu.csr --parent fleet-root --validity-days 1826')
    .action((o: SignOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const name = o.name ?? basename(o.csr, extname(o.csr));
        const row = await signCaRequest(ctx, { csr: readInput(o.csr), name, parent: o.parent, validityDays: o.validityDays }, actor);
        const file = o.out ?? `${name}.pem`;
        writeOutput(file, toPem(row.certificate_der, 'CERTIFICATE'));
        out.result({ name, certificateFile: file, subject: row.subject, serial: row.serial_hex, notAfter: row.not_after }, () => `signed CA ${name} (${row.subject}), serial ${row.serial_hex}, valid until ${row.not_after}; written to ${file}\nnext: on the online instance, fleetpki ca install --name <name> --cert ${basename(file)}`);
      }),
    );
}

function registerInstall(group: Command): void {
  group
    .command('install')
    .summary('install the certificate signed offline for a pending CA; the CA becomes usable')
    .requiredOption('--name <name>', 'the pending CA (as given to `fleetpki ca request`)')
    .requiredOption('--cert <file>', 'the certificate from `fleetpki ca sign-request` (PEM or DER)')
    .addHelpText('after', '\nExample:\n  $ fleetpki ca install --name devices-eu --cert /media/usb/devices-eu.pem')
    .action((o: { name: string; cert: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const ca: CaView = await installIssuingCa(ctx, o.name, readCertificatePem(o.cert), actor);
        const { certificatePem: _, ...shown } = ca;
        out.result(ca, () => `installed CA ${ca.name} under ${ca.parent}\n${keyValues(Object.entries(shown))}`);
      }),
    );
}

function registerImportIssuing(group: Command): void {
  group
    .command('import-issuing')
    .summary('import the certificate of an issuing CA kept offline (no key), to import what it signs')
    .description(
      'On the online instance: know an issuing CA whose key stays on an offline\n' +
        'instance, by its certificate only. It must be a CA certificate allowing\n' +
        'keyCertSign, valid now, chained by name and signature to a root here\n' +
        '(`fleetpki ca import-root`). What it signs offline (`fleetpki batch sign`\n' +
        'there) is then recorded here with `fleetpki cert import --bundle`.',
    )
    .requiredOption('--name <name>', 'name to give the CA here')
    .requiredOption('--cert <file>', 'its certificate (PEM or DER; the first certificate of a PEM chain)')
    .addHelpText(
      'after',
      '\nExample:\n  $ fleetpki --data-dir /offline ca chain devices-production > /media/usb/devices-ca.pem   # offline: the CA first, then its root\n' +
        '  $ fleetpki ca import-issuing --name offline-devices --cert /media/usb/devices-ca.pem',
    )
    .action((o: { name: string; cert: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const ca: CaView = await importIssuingCa(ctx, o.name, readCertificatePem(o.cert), actor);
        const { certificatePem: _, ...shown } = ca;
        out.result(ca, () => `imported issuing CA ${ca.name} under ${ca.parent} (certificate only: its key stays offline)\n${keyValues(Object.entries(shown))}`);
      }),
    );
}

export function registerCaOffline(group: Command): void {
  registerRequest(group);
  registerSignRequest(group);
  registerInstall(group);
  registerImportIssuing(group);
}
