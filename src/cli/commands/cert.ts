// `fleetpki cert ...`: issue from a CSR, inspect, search, revoke, release from hold. Issuance takes the same
// path as every protocol (app/certificates.ts issueFromCsr): the CLI is one more front end.

import { Option, type Command } from 'commander';
import { caChainPem } from '../../app/cas.ts';
import { getCertificate, issueFromCsr, releaseCertificate, revokeCertificate } from '../../app/certificates.ts';
import type { Context } from '../../app/context.ts';
import { certificateView, type CertificateView } from '../../app/views.ts';
import { REVOCATION_REASON_NAMES } from '../../ca/revocation-reasons.ts';
import { searchCertificates, type CertificateFilter } from '../../store/repos/certificates.ts';
import type { CertificatesTable, CertificateStatus } from '../../store/schema.ts';
import { pemBlocks, toPem } from '../../x509/pem.ts';
import { readInput, writeOutput } from '../files.ts';
import { keyValues, pagingNote, table } from '../output.ts';
import { instant, pageLimit } from '../parse.ts';
import { withSession } from '../session.ts';
import { registerCertImport } from './cert-import.ts';

const STATUSES: CertificateStatus[] = ['valid', 'revoked', 'on_hold'];

async function view(ctx: Context, row: CertificatesTable): Promise<CertificateView> {
  return certificateView(row, (await ctx.cas.get(row.issuer_id)).row.name);
}

function certDetails(c: CertificateView): string {
  const { pem, ...rest } = c;
  return keyValues(Object.entries(rest));
}

/**
 * The certificates a peer must send with the leaf: the issuing CA up to, not including, the
 * root. The root is the relying party's trust anchor (`fleetpki ca chain`), never sent.
 */
async function intermediatesPem(ctx: Context, issuerName: string): Promise<string> {
  const blocks = pemBlocks(await caChainPem(ctx, issuerName), 'CERTIFICATE');
  return blocks.slice(0, -1).map((der) => toPem(der, 'CERTIFICATE')).join('');
}

interface IssueOptions {
  csr: string;
  profile: string;
  device: string;
  replaces?: string;
  out?: string;
  chain?: boolean;
}

function registerIssue(group: Command): void {
  group
    .command('issue')
    .summary('issue a certificate for a device from a CSR (PEM to --out or stdout)')
    .description('Issue a certificate for a device from a PKCS#10 CSR (PEM or DER), under a profile.\nThe certificate (PEM) goes to --out or stdout; a summary goes to stderr.\nWith --json, the certificate view (including its PEM) is printed on stdout.')
    .requiredOption('--csr <file>', 'the CSR file (PEM or DER)')
    .requiredOption('--profile <name>', 'profile to issue under (see `fleetpki profile list`)')
    .requiredOption('--device <id>', 'the device the certificate is for')
    .option('--replaces <certId>', 'the certificate this one renews (same device)')
    .option('--out <file>', 'write the PEM here instead of stdout')
    .option('--chain', 'append the intermediate CA certificate(s) after the leaf (not the root)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki cert issue --csr device.csr --profile sensor --device 0199... --out device.pem\n  $ fleetpki cert issue --csr gw.csr --profile gateway --device 0199... --chain > fullchain.pem')
    .action((o: IssueOptions, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const row = await issueFromCsr(ctx, { csr: readInput(o.csr), profile: o.profile, deviceId: o.device, replaces: o.replaces }, actor);
        const cert = await view(ctx, row);
        const pem = cert.pem + (o.chain ? await intermediatesPem(ctx, cert.issuer) : '');
        if (o.out) writeOutput(o.out, pem);
        out.note(`issued certificate ${cert.id} (serial ${cert.serial}, ${cert.subject}) by ${cert.issuer}, valid until ${cert.notAfter}${o.out ? `; written to ${o.out}` : ''}`);
        if (out.json) out.result(o.chain ? { ...cert, chainPem: pem } : cert, () => '');
        else if (!o.out) out.result(null, () => pem);
      }),
    );
}

function registerShow(group: Command): void {
  group
    .command('show <id>')
    .summary('show a certificate (--pem prints only its PEM)')
    .option('--pem', 'print only the certificate in PEM form')
    .action((id: string, o: { pem?: boolean }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const cert = await view(ctx, await getCertificate(ctx, id));
        if (o.pem && !out.json) out.result(null, () => cert.pem);
        else out.result(cert, () => certDetails(cert));
      }),
    );
}

interface ListOptions {
  status?: CertificateStatus;
  device?: string;
  issuer?: string;
  profile?: string;
  expiringBefore?: string;
  serial?: string;
  q?: string;
  limit: number;
  after?: string;
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('search certificates, oldest first, with filters and paging')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--device <id>', "only this device's certificates")
    .option('--issuer <ca>', 'only those issued by this CA (name)')
    .option('--profile <name>', 'only this profile')
    .option('--expiring-before <when>', 'not after earlier than an ISO date/time or a duration from now (30d)', instant)
    .option('--serial <hex>', 'only this serial number (hex)')
    .option('--q <text>', 'case-insensitive text in subject or SANs')
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 100)
    .option('--after <cursor>', 'continue after this cursor (printed at the end of the previous page)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki cert list --status valid --expiring-before 30d\n  $ fleetpki cert list --device 0199... --json')
    .action((o: ListOptions, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const issuerId = o.issuer === undefined ? undefined : (await ctx.cas.byName(o.issuer)).row.id;
        const filter: CertificateFilter = { status: o.status, deviceId: o.device, issuerId, profile: o.profile, expiringBefore: o.expiringBefore, serial: o.serial, q: o.q };
        const page = await searchCertificates(ctx.db, filter, { limit: o.limit, after: o.after });
        const items = await Promise.all(page.items.map((row) => view(ctx, row)));
        out.result({ items, nextCursor: page.nextCursor }, () =>
          table(['id', 'status', 'profile', 'issuer', 'not after', 'device', 'subject'], items.map((i) => [i.id, i.status, i.profile, i.issuer, i.notAfter, i.deviceId, i.subject])),
        );
        pagingNote(out, page.nextCursor);
      }),
    );
}

function registerRevoke(group: Command): void {
  group
    .command('revoke <id>')
    .summary('revoke a certificate (certificateHold puts it on hold instead)')
    .addOption(new Option('--reason <reason>', 'RFC 5280 revocation reason').choices(REVOCATION_REASON_NAMES).default('unspecified'))
    .addHelpText('after', '\nExample:\n  $ fleetpki cert revoke 0199... --reason keyCompromise')
    .action((id: string, o: { reason: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const cert = await view(ctx, await revokeCertificate(ctx, id, o.reason, actor));
        out.result(cert, () => `certificate ${cert.id} is now ${cert.status} (${cert.revocationReason}) since ${cert.revokedAt}`);
      }),
    );
}

function registerRelease(group: Command): void {
  group
    .command('release <id>')
    .summary('release a certificate from hold (revoked with certificateHold): valid again')
    .addHelpText('after', '\nExample:\n  $ fleetpki cert revoke 0199... --reason certificateHold   # suspend\n  $ fleetpki cert release 0199...                            # and lift the suspension')
    .action((id: string, _o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const cert = await view(ctx, await releaseCertificate(ctx, id, actor));
        out.result(cert, () => `certificate ${cert.id} is ${cert.status} again; it leaves the CRL with the next regeneration`);
      }),
    );
}

export function registerCert(program: Command): void {
  const group = program
    .command('cert')
    .summary('certificates: issue, show, list, revoke, release, import')
    .description('Issue certificates from CSRs, inspect and search the issuance ledger, revoke, release from hold.');
  registerIssue(group);
  registerShow(group);
  registerList(group);
  registerRevoke(group);
  registerRelease(group);
  registerCertImport(group);
}
