// `fleetpki crl ...`: list, sign, show and publish the CRLs (src/revocation). A running
// server keeps them current by itself; these are for operators and scripts on the CA host.

import type { Command } from 'commander';
import type { Context } from '../../app/context.ts';
import { BadRequest } from '../../errors.ts';
import { listCrlMeta, type CrlMeta } from '../../revocation/crl-rows.ts';
import { crlService } from '../../revocation/crl-service.ts';
import { FULL_CRL } from '../../revocation/partition.ts';
import { publishCrls, type Publication } from '../../revocation/publish.ts';
import { listCas } from '../../store/repos/cas.ts';
import { parseCrl } from '../../x509/crl.ts';
import { toPem } from '../../x509/pem.ts';
import { writeOutput } from '../files.ts';
import { table, type Output } from '../output.ts';
import { withSession } from '../session.ts';
import { registerCrlOffline } from './crl-offline.ts';

interface CrlView {
  ca: string;
  partition: string;
  crlNumber: number;
  entries: number;
  thisUpdate: string;
  nextUpdate: string;
}

async function caNames(ctx: Context): Promise<Map<string, string>> {
  return new Map((await listCas(ctx.db)).map((ca) => [ca.id, ca.name]));
}

function crlView(meta: CrlMeta, names: Map<string, string>): CrlView {
  return { ca: names.get(meta.ca_id) ?? meta.ca_id, partition: meta.partition, crlNumber: meta.crl_number, entries: meta.entries, thisUpdate: meta.this_update, nextUpdate: meta.next_update };
}

function crlTable(items: CrlView[]): string {
  return table(['ca', 'partition', 'crl number', 'entries', 'this update', 'next update'], items.map((i) => [i.ca, i.partition, i.crlNumber, i.entries, i.thisUpdate, i.nextUpdate]));
}

function publicationNote(out: Output, publication: Publication | null): void {
  if (!publication) return out.note('no crl.publishDir configured: nothing published');
  out.note(`published ${publication.files.join(', ')} to ${publication.dir}`);
  if (publication.missing.length) out.note(`no CRL for ${publication.missing.join(', ')} (offline CA): bring it from the offline instance (fleetpki crl request, crl sign-request there, crl import)`);
  if (publication.reload && !publication.reload.ok) out.note(`warning: reload command failed: ${publication.reload.error}`);
}

function registerList(group: Command): void {
  group
    .command('list')
    .summary('the stored CRLs: CA, partition, CRL number, entries, validity')
    .option('--ca <name>', "only this CA's CRLs")
    .action((o: { ca?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const caId = o.ca === undefined ? undefined : (await ctx.cas.byName(o.ca)).row.id;
        const names = await caNames(ctx);
        const items = (await listCrlMeta(ctx.db, caId)).map((m) => crlView(m, names));
        out.result({ items }, () => crlTable(items));
      }),
    );
}

function registerGenerate(group: Command): void {
  group
    .command('generate')
    .summary('sign fresh CRLs now (full and stored partitions), then publish')
    .option('--ca <name>', 'only this CA (default: every CA with a key here)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki crl generate\n  $ fleetpki crl generate --ca devices-production --json')
    .action((o: { ca?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const service = crlService(ctx);
        const cas = (await listCas(ctx.db)).filter((ca) => (o.ca ? ca.name === o.ca : ca.encrypted_key !== null));
        if (o.ca && cas.length === 0) await ctx.cas.byName(o.ca); // NotFound with the usual words
        const names = await caNames(ctx);
        const items: CrlView[] = [];
        for (const ca of cas) {
          const stored = (await listCrlMeta(ctx.db, ca.id)).map((m) => m.partition).filter((p) => p !== FULL_CRL && !service.isExpired(p, new Date()));
          const rows = await service.regenerate(await ctx.cas.get(ca.id), { full: true, partitions: stored });
          items.push(...rows.map((row) => crlView(row, names)));
        }
        out.result({ items }, () => crlTable(items));
        publicationNote(out, await publishCrls(ctx));
      }),
    );
}

function registerShow(group: Command): void {
  group
    .command('show <ca>')
    .summary("a CA's current CRL (signed now if missing or out of date); --out writes it")
    .option('--partition <id>', 'a partition (YYYYMM-h) instead of the full CRL')
    .option('--out <file>', 'write the CRL here (DER, or PEM with --pem)')
    .option('--pem', 'PEM instead of DER for --out, or print the PEM on stdout')
    .addHelpText('after', '\nExamples:\n  $ fleetpki crl show devices-production\n  $ fleetpki crl show devices-production --partition 202612-a --pem --out 202612-a.crl.pem')
    .action((ca: string, o: { partition?: string; out?: string; pem?: boolean }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const crl = await crlService(ctx).current(ca, o.partition ?? FULL_CRL);
        const pem = toPem(crl.der, 'X509 CRL');
        if (o.out) writeOutput(o.out, o.pem ? pem : crl.der);
        const info = parseCrl(crl.der);
        const view = { ...crlView(crl.meta, new Map([[crl.meta.ca_id, ca]])), issuer: info.issuer, distributionPoint: info.distributionPoint, bytes: crl.der.length };
        if (o.pem && !o.out && !out.json) return out.result(null, () => pem);
        out.result(view, () => Object.entries(view).map(([k, v]) => `${k}: ${v ?? '-'}`).join('\n'));
      }),
    );
}

function registerPublish(group: Command): void {
  group
    .command('publish')
    .summary('write the CA bundle and current CRLs to crl.publishDir, run crl.reloadCommand')
    .action((_o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        if (!ctx.config.crl.publishDir) throw new BadRequest('crl.publishDir is not configured: set it in the configuration file');
        await crlService(ctx).sweep();
        const publication = await publishCrls(ctx);
        out.result(publication, () => `published ${publication!.files.join(', ')} to ${publication!.dir}`);
        if (publication?.reload && !publication.reload.ok) out.note(`warning: reload command failed: ${publication.reload.error}`);
      }),
    );
}

export function registerCrl(program: Command): void {
  const group = program
    .command('crl')
    .summary('CRLs: list, generate, show, publish; request, sign-request, import for offline CAs')
    .description(
      'Certificate revocation lists, one full CRL per CA and partitions by expiry month and serial\n' +
        '(docs/revocation.md). `serve` keeps them current; these commands sign, show and publish on demand.\n' +
        'A CA kept offline gets its CRLs by a file round trip: `crl request` here, `crl sign-request`\n' +
        'on the instance that holds its key, `crl import` here.',
    );
  registerList(group);
  registerGenerate(group);
  registerShow(group);
  registerPublish(group);
  registerCrlOffline(group);
}
