// Dashboard user accounts: people sign in with a username and password and get the role's
// permissions, like an API token of that role. Created, listed and disabled from the CLI on
// the CA host (`fleetpki user ...`), so no web request can create an administrator.

import { BadRequest, Conflict, NotFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { deleteUserSessions } from '../store/repos/sessions.ts';
import { disableUser as disableRow, getUserByName, insertUser, listUsers as listRows, type UserRow } from '../store/repos/users.ts';
import type { Role, UsersTable } from '../store/schema.ts';
import type { Context } from './context.ts';
import { hashPassword } from './passwords.ts';
import { audited } from './refusal.ts';

/** Lower case, so "Alice" and "alice" cannot be two accounts that read the same in the audit log. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** NIST SP 800-63B: a minimum length and no composition rules; the maximum bounds the work per attempt. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

export type UserInfo = Omit<UserRow, 'password_hash'>;

function info(row: UserRow): UserInfo {
  const { password_hash: _, ...rest } = row;
  return rest;
}

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN) throw new BadRequest(`the password must have at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw new BadRequest(`the password must have at most ${PASSWORD_MAX} characters`);
}

export async function createUser(ctx: Context, username: string, role: Role, password: string, actor: string): Promise<UserInfo> {
  return audited(ctx, actor, 'user.create', `user:${username}`, async () => {
    if (!USERNAME_PATTERN.test(username)) throw new BadRequest('the username must be 1 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit');
    checkPassword(password);
    const now = new Date().toISOString();
    const row: UsersTable = {
      id: newId(),
      username,
      role,
      password_hash: await hashPassword(password),
      status: 'active',
      created_at: now,
      updated_at: now,
      last_sign_in_at: null,
    };
    await ctx.ledger.submit(async (trx) => {
      if (await getUserByName(trx, username)) throw new Conflict(`a user named ${username} already exists`);
      await insertUser(trx, row);
    }, [{ actor, action: 'user.create', target: `user:${username}`, outcome: 'success', details: { role } }]);
    return info(row);
  });
}

export async function listUsers(ctx: Context): Promise<UserInfo[]> {
  return (await listRows(ctx.db)).map(info);
}

/** Disables the account and ends its sessions in the same transaction: the next request is refused. */
export async function disableUser(ctx: Context, username: string, actor: string): Promise<{ user: UserInfo; sessionsEnded: number }> {
  return audited(ctx, actor, 'user.disable', `user:${username}`, async () => {
    let ended = 0;
    const row = await ctx.ledger.submit(async (trx, audit) => {
      const user = await getUserByName(trx, username);
      if (!user) throw new NotFound(`no user named ${username}`);
      if (!(await disableRow(trx, username, new Date().toISOString()))) throw new Conflict(`user ${username} is already disabled`);
      ended = await deleteUserSessions(trx, user.id);
      audit[0].details = { sessionsEnded: ended };
      return (await getUserByName(trx, username))!;
    }, [{ actor, action: 'user.disable', target: `user:${username}`, outcome: 'success' }]);
    return { user: info(row), sessionsEnded: ended };
  });
}
