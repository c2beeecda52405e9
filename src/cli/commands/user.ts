// `fleetpki user ...`: accounts for the people who sign in to the web dashboard. Programs use
// API tokens (`fleetpki token`); people get a username and a password, hashed with scrypt.

import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ROLES } from '../../app/tokens.ts';
import { createUser, disableUser, listUsers, PASSWORD_MIN, type UserInfo } from '../../app/users.ts';
import type { Role } from '../../store/schema.ts';
import { UsageError } from '../errors.ts';
import { keyValues, table } from '../output.ts';
import { withSession } from '../session.ts';

function userTable(users: UserInfo[]): string {
  return table(
    ['username', 'role', 'status', 'created', 'last sign-in'],
    users.map((u) => [u.username, u.role, u.status, u.created_at, u.last_sign_in_at]),
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Never from an argument: other users of the host can read a process's arguments. One
 * trailing newline is dropped (echo and files add it); the rest is the password as typed.
 */
async function password(o: { passwordStdin?: boolean; passwordFile?: string }): Promise<string> {
  if (o.passwordStdin && o.passwordFile) throw new UsageError('give --password-stdin or --password-file, not both');
  if (o.passwordStdin) return (await readStdin()).replace(/\r?\n$/, '');
  if (o.passwordFile) return readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
  throw new UsageError('give the password with --password-stdin or --password-file (never as an argument, which other users of the host can see)');
}

function registerCreate(group: Command): void {
  group
    .command('create')
    .summary('create a dashboard user')
    .description(`Create a person's account for the web dashboard (/ui/). The password (at least ${PASSWORD_MIN}\ncharacters) is read from stdin or a file and stored as an scrypt hash with its own salt.`)
    .requiredOption('--username <name>', 'lower-case letters, digits, dots, dashes, underscores')
    .addOption(new Option('--role <role>', 'admin: everything; operator: devices and certificates; auditor: read only').choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from stdin')
    .option('--password-file <file>', 'read the password from a file')
    .addHelpText('after', "\nExamples:\n  $ printf '%s' \"$PASSWORD\" | fleetpki user create --username alice --role operator --password-stdin\n  $ fleetpki user create --username audit --role auditor --password-file ./audit.pw")
    .action((o: { username: string; role: Role; passwordStdin?: boolean; passwordFile?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const secret = await password(o);
        const user = await createUser(ctx, o.username, o.role, secret, actor);
        out.result(user, () => `created ${user.role} user ${user.username}\n${keyValues(Object.entries(user))}`);
      }),
    );
}

export function registerUser(program: Command): void {
  const group = program
    .command('user')
    .summary('dashboard users: create, list, disable')
    .description('Manage the accounts people use to sign in to the web dashboard.');
  registerCreate(group);
  group
    .command('list')
    .summary('list users (never their password hashes)')
    .action((_o, c: Command) =>
      withSession(c, async ({ ctx, out }) => {
        const users = await listUsers(ctx);
        out.result(users, () => userTable(users));
      }),
    );
  group
    .command('disable <username>')
    .summary('disable a user and end its sessions at once')
    .action((username: string, _o, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const { user, sessionsEnded } = await disableUser(ctx, username, actor);
        out.result({ ...user, sessionsEnded }, () => `disabled user ${user.username}; ${sessionsEnded} session(s) ended`);
      }),
    );
}
