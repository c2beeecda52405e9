// `fleetpki ca ...`: the CA hierarchy. Private keys never appear here: views carry the
// certificate only (see CaView).

import { Option, type Command } from 'commander';
import Value from 'typebox/value';
import { caChainPem, createIssuing, getCa, importRoot, listCas, type CaView } from '../../app/cas.ts';
import { ConfigSchema, type CaSpec } from '../../config/schema.ts';
import { BadRequest } from '../../errors.ts';
import { KEY_TYPES } from '../../x509/keys.ts';
import { readCertificatePem } from '../files.ts';
import { keyValues, table } from '../output.ts';
import { positiveInt } from '../parse.ts';
import { withSession } from '../session.ts';
import { registerCaOffline } from './ca-offline.ts';

function caTable(cas: CaView[]): string {
  return table(
    ['name', 'kind', 'status', 'parent', 'key', 'not after', 'key held', 'subject'],
    cas.map((c) => [c.name, c.kind, c.status, c.parent, c.keyType, c.notAfter, c.hasKey ? 'yes' : 'no (offline)', c.subject]),
  );
}

function caDetails(c: CaView): string {
  const { certificatePem, hasKey, ...rest } = c;
  return keyValues([...Object.entries(rest), ['hasKey', hasKey ? 'yes' : 'no (offline root: certificate only)']]);
}

/** The same rules as the hierarchy in the configuration file, so a CA made here could have been configured. */
function checkSpec(spec: CaSpec): CaSpec {
  const schema = ConfigSchema.properties.hierarchy.properties.root;
  const problems = [...Value.Errors(schema, spec)].map((e) => `${e.instancePath.slice(1) || 'spec'}: ${e.message}`);
  if (problems.length > 0) throw new BadRequest(`invalid CA: ${problems.join('; ')}`, { problems });
  return spec;
}

function registerReads(group: Command): void {
  group
    .command('list')
    .summary('list the CAs')
    .action((_o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out }) => {
        const cas = await listCas(ctx);
        out.result(cas, () => caTable(cas));
      }),
    );
  group
    .command('show <name>')
    .summary("show one CA's details (--json includes its certificate as PEM)")
    .action((name: string, _o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out }) => {
        const ca = await getCa(ctx, name);
        out.result(ca, () => caDetails(ca));
      }),
    );
  group
    .command('chain <name>')
    .summary('print the PEM chain from the CA up to its root (root last)')
    .addHelpText('after', '\nExample:\n  $ fleetpki ca chain devices-production > chain.pem\n  $ openssl verify -CAfile chain.pem device.pem')
    .action((name: string, _o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out }) => {
        const pem = await caChainPem(ctx, name);
        out.result({ name, pem }, () => pem);
      }),
    );
}

interface CreateOptions {
  name: string;
  keyType: CaSpec['keyType'];
  validityDays: number;
  commonName: string;
  organization?: string;
  parent: string;
}

function registerCreate(group: Command): void {
  group
    .command('create')
    .summary('create an issuing CA under a root whose key fleetpki holds')
    .requiredOption('--name <name>', 'CA name: lower case letters, digits and dashes')
    .addOption(new Option('--key-type <type>', 'key type of the new CA').choices(KEY_TYPES).default('ec-p256'))
    .requiredOption('--validity-days <days>', 'lifetime in days (capped at the root\'s own expiry)', positiveInt)
    .requiredOption('--common-name <cn>', 'subject CN of the CA certificate')
    .option('--organization <o>', 'subject O of the CA certificate')
    .requiredOption('--parent <root>', 'name of the root CA that signs it')
    .addHelpText('after', '\nExample:\n  $ fleetpki ca create --name devices-eu --validity-days 1826 --common-name "Fleet Devices EU CA" --parent fleet-root')
    .action((o: CreateOptions, cmd: Command) =>
      withSession(cmd, async ({ ctx, out, actor }) => {
        const spec = checkSpec({ name: o.name, keyType: o.keyType, validityDays: o.validityDays, commonName: o.commonName, ...(o.organization ? { organization: o.organization } : {}) });
        const ca = await createIssuing(ctx, spec, o.parent, actor);
        out.result(ca, () => `created CA ${ca.name}\n${caDetails(ca)}`);
      }),
    );
  group
    .command('import-root')
    .summary('import the certificate of a root kept offline (no key)')
    .requiredOption('--name <name>', 'name to give the root in fleetpki')
    .requiredOption('--cert <file.pem>', 'the self-signed root certificate (PEM or DER)')
    .action((o: { name: string; cert: string }, cmd: Command) =>
      withSession(cmd, async ({ ctx, out, actor }) => {
        const ca = await importRoot(ctx, o.name, readCertificatePem(o.cert), actor);
        out.result(ca, () => `imported root ${ca.name}\n${caDetails(ca)}`);
      }),
    );
}

export function registerCa(program: Command): void {
  const group = program
    .command('ca')
    .summary('certificate authorities: list, show, chain, create, import-root, request, sign-request, install, import-issuing')
    .description('Manage the CA hierarchy. CA private keys stay sealed in the store and are never shown.');
  registerReads(group);
  registerCreate(group);
  registerCaOffline(group);
}
