// `fleetpki token ...`: API tokens for the REST API. The secret is printed once, by
// `create`; only its SHA-256 is stored, so it can never be shown again.

import { Option, type Command } from 'commander';
import { createToken, listTokens, revokeToken, ROLES, type TokenInfo } from '../../app/tokens.ts';
import type { Role } from '../../store/schema.ts';
import { keyValues, table } from '../output.ts';
import { instant } from '../parse.ts';
import { withSession } from '../session.ts';

function tokenTable(tokens: TokenInfo[]): string {
  return table(
    ['id', 'name', 'role', 'created', 'expires', 'last used', 'revoked'],
    tokens.map((t) => [t.id, t.name, t.role, t.created_at, t.expires_at, t.last_used_at, t.revoked_at]),
  );
}

function registerCreate(group: Command): void {
  group
    .command('create')
    .summary('create an API token and print it once')
    .description('Create an API token. The token is printed once, on stdout; store it now, it cannot be\nshown again (only its hash is kept). Details go to stderr.')
    .requiredOption('--name <name>', 'what or who the token is for')
    .addOption(new Option('--role <role>', 'admin: everything; operator: devices and certificates; auditor: read only').choices(ROLES).makeOptionMandatory())
    .option('--expires-at <when>', 'expiry: ISO date/time or a duration from now (90d)', instant)
    .addHelpText('after', '\nExamples:\n  $ fleetpki token create --name ci-pipeline --role operator --expires-at 90d\n  $ TOKEN=$(fleetpki token create --name grafana --role auditor)')
    .action((o: { name: string; role: Role; expiresAt?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const { token, info } = await createToken(ctx, o.name, o.role, actor, o.expiresAt ?? null);
        out.note(`created ${info.role} token ${info.id} (${info.name})${info.expires_at ? `, expires ${info.expires_at}` : ''}; it is shown only this once`);
        // The one place the CLI prints a secret: the user asked for it to be made.
        out.result({ ...info, token }, () => token);
      }),
    );
}

export function registerToken(program: Command): void {
  const group = program
    .command('token')
    .summary('REST API tokens: create, list, revoke')
    .description('Manage REST API bearer tokens and their roles.');
  registerCreate(group);
  group
    .command('list')
    .summary('list tokens (never their secrets)')
    .action((_o, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const tokens = await listTokens(ctx);
        out.result(tokens, () => tokenTable(tokens));
      }),
    );
  group
    .command('revoke <id>')
    .summary('revoke a token; requests using it are refused from now on')
    .action((id: string, _o, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        await revokeToken(ctx, id, actor);
        const info = (await listTokens(ctx)).find((t) => t.id === id)!;
        out.result(info, () => `revoked token ${id}\n${keyValues(Object.entries(info))}`);
      }),
    );
}
