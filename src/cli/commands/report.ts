// `fleetpki report ...`: the risk ranking and the compliance summary (src/reporting,
// docs/reporting.md), computed by the database like the REST API's /reports.

import type { Command } from 'commander';
import { complianceReport, type ClassCompliance } from '../../reporting/compliance.ts';
import type { RiskItem } from '../../reporting/risk-item.ts';
import { riskPolicyOf, riskReport } from '../../reporting/risk.ts';
import { pagingNote, table } from '../output.ts';
import { pageLimit } from '../parse.ts';
import { withSession } from '../session.ts';

function riskTable(items: RiskItem[]): string {
  return table(
    ['score', 'reasons', 'days left', 'device', 'class', 'criticality', 'certificate', 'profile'],
    items.map((i) => [i.score, i.reasons.join(','), i.daysLeft, i.device?.serial, i.device?.deviceClass, i.device?.criticality, i.certificateId, i.profile]),
  );
}

function registerRisk(group: Command): void {
  group
    .command('risk')
    .summary('current certificates ranked by risk, highest first')
    .description(
      'Ranks valid and held certificates that have not been renewed: days to expiry weighted by\n' +
        "the device's criticality, failed renewals, orphans and weak keys (docs/reporting.md).",
    )
    .option('--limit <n>', 'page size (1-1000)', pageLimit, 50)
    .option('--after <cursor>', 'continue after this page (the cursor a previous page printed)')
    .addHelpText('after', '\nExamples:\n  $ fleetpki report risk --limit 20\n  $ fleetpki report risk --json | jq \'.items[] | select(.reasons | index("orphan"))\'')
    .action((o: { limit: number; after?: string }, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const page = await riskReport(ctx.db, ctx.store.engine, riskPolicyOf(ctx.config), { limit: o.limit, after: o.after });
        out.result(page, () => riskTable(page.items));
        pagingNote(out, page.nextCursor);
      }),
    );
}

function checkCell(c: ClassCompliance['checks'][keyof ClassCompliance['checks']]): string {
  return c.failing === 0 ? 'ok' : String(c.failing);
}

function complianceTable(classes: ClassCompliance[]): string {
  return table(
    // "adopted": certificates adopted from discovery, not in the ledger; key policy and issuer count them too.
    ['class', 'devices', 'live certs', 'adopted', 'unique key', 'one current', 'key policy', 'lifetime', 'issuer', 'owner', 'compliant'],
    classes.map((k) => {
      const c = k.checks;
      return [k.deviceClass ?? '(no device)', k.devices, k.liveCertificates, k.adoptedCertificates, checkCell(c.uniqueKey), checkCell(c.oneCurrentPerProfile), checkCell(c.keyPolicy), checkCell(c.lifetime), checkCell(c.trustedIssuer), checkCell(c.owner), k.compliant ? 'yes' : 'no'];
    }),
  );
}

function registerCompliance(group: Command): void {
  group
    .command('compliance')
    .summary('compliance summary per device class')
    .description(
      'Per device class: keys not shared between devices, one current certificate per profile,\n' +
        'key types and lifetimes within the profile, issuers that are active fleetpki CAs, devices\n' +
        'with an owner. Certificates adopted from discovery (ADOPTED) are held to the key floor and a\n' +
        'known trust anchor. Numbers are failing certificates or devices; --json lists examples of each.\n' +
        'Exit status 0 whatever the findings: the report is the result.',
    )
    .addHelpText('after', '\nExamples:\n  $ fleetpki report compliance\n  $ fleetpki report compliance --json | jq \'.classes[] | select(.compliant | not)\'')
    .action((_o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const report = await complianceReport(ctx.db, ctx.store.engine);
        out.result(report, () => complianceTable(report.classes));
      }),
    );
}

export function registerReport(program: Command): void {
  const group = program.command('report').summary('risk ranking and compliance summary of the inventory');
  registerRisk(group);
  registerCompliance(group);
}
