// Dashboard sign-in sessions. The browser holds a 256-bit random session id in an HttpOnly
// cookie; the store holds only its SHA-256, so a copy of the database opens no session.
// The CSRF token is an HMAC of the session id: the server recomputes it on every request
// instead of storing it, and a page can only learn it from an API answer, which another
// site's script cannot read.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TooManyRequests, Unauthorized } from '../errors.ts';
import { deleteSession, deleteStaleSessions, getSession, insertSession, touchSession } from '../store/repos/sessions.ts';
import { getUserByName, recordSignIn } from '../store/repos/users.ts';
import type { Role } from '../store/schema.ts';
import type { Context } from './context.ts';
import { burnPasswordCheck, verifyPassword } from './passwords.ts';
import { signInThrottle, type ThrottleVerdict } from './sign-in-throttle.ts';
import { PASSWORD_MAX } from './users.ts';

export interface SignedIn {
  /** The secret for the cookie; never stored, never logged. */
  sessionId: string;
  csrfToken: string;
  username: string;
  role: Role;
  expiresAt: string;
}

export interface SessionUser {
  username: string;
  role: Role;
  expiresAt: string;
}

/** What a refused sign-in tells the person: the same words whichever part was wrong. */
export const SIGN_IN_REFUSED = 'wrong username or password';

/** Last-seen times are written at most once a minute per session, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

const hashId = (sessionId: string) => createHash('sha256').update(sessionId).digest('hex');

export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('fleetpki csrf v1').digest('base64url');
}

export function csrfTokenMatches(sessionId: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function lifetimes(ctx: Context, now: Date) {
  const { sessionHours, idleMinutes } = ctx.config.dashboard;
  return {
    expiresAt: new Date(now.getTime() + sessionHours * 3_600_000).toISOString(),
    idleSince: new Date(now.getTime() - idleMinutes * 60_000).toISOString(),
  };
}

async function audit(ctx: Context, username: string, reason: string, from: string | undefined, extra: Record<string, unknown> = {}): Promise<void> {
  const heldBack = signInThrottle(ctx).drainSuppressed(username, from);
  const details = { reason, from: from ?? null, ...extra, ...(heldBack > 0 ? { heldBackUnaudited: heldBack } : {}) };
  await ctx.ledger.audit([{ actor: 'anonymous', action: 'session.sign-in', target: `user:${username}`, outcome: 'refused', details }]);
}

async function refuse(ctx: Context, username: string, reason: string, from: string | undefined): Promise<never> {
  signInThrottle(ctx).failed(username, from);
  await audit(ctx, username, reason, from);
  throw new Unauthorized(SIGN_IN_REFUSED);
}

/**
 * Held back without looking at the password (no scrypt). The first such attempt of a lock-out
 * is audited; the rest are counted and the count goes into the next audit event, so a flood
 * of guesses cannot flood the audit log.
 */
async function holdBack(ctx: Context, username: string, from: string | undefined, verdict: ThrottleVerdict): Promise<never> {
  const seconds = Math.ceil(verdict.retryAfterMs / 1000);
  if (verdict.audit) {
    await audit(ctx, username, `throttled after ${verdict.failures} failed sign-ins (${verdict.key!.startsWith('user:') ? 'this username' : 'this address'})`, from, { retryAfterSeconds: seconds });
  }
  throw new TooManyRequests(`too many failed sign-ins: wait ${seconds} s before trying again`, seconds);
}

/** Checks the password and opens a session; every refusal is an audit event (the person sees one message). */
export async function signIn(ctx: Context, username: string, password: string, from?: string): Promise<SignedIn> {
  const verdict = signInThrottle(ctx).check(username, from);
  if (verdict.retryAfterMs > 0) return holdBack(ctx, username, from, verdict);
  if (password.length > PASSWORD_MAX) return refuse(ctx, username, 'password longer than any account may have', from);
  const user = await getUserByName(ctx.db, username);
  if (!user) {
    await burnPasswordCheck(password);
    return refuse(ctx, username, 'no such user', from);
  }
  if (!(await verifyPassword(password, user.password_hash))) return refuse(ctx, username, 'wrong password', from);
  if (user.status !== 'active') return refuse(ctx, username, 'account disabled', from);
  signInThrottle(ctx).succeeded(username);
  const now = new Date();
  const { expiresAt, idleSince } = lifetimes(ctx, now);
  const sessionId = randomBytes(32).toString('base64url');
  const at = now.toISOString();
  await ctx.ledger.submit(async (trx) => {
    await deleteStaleSessions(trx, at, idleSince);
    await insertSession(trx, { id_hash: hashId(sessionId), user_id: user.id, created_at: at, expires_at: expiresAt, last_seen_at: at });
    await recordSignIn(trx, user.id, at);
  }, [{ actor: `user:${username}`, action: 'session.sign-in', target: `user:${username}`, outcome: 'success', details: { expiresAt, from: from ?? null } }]);
  return { sessionId, csrfToken: csrfTokenFor(sessionId), username, role: user.role, expiresAt };
}

/** The user behind a session cookie, or Unauthorized when it is unknown, ended, expired or idle too long. */
export async function resolveSession(ctx: Context, sessionId: string): Promise<SessionUser> {
  const row = await getSession(ctx.db, hashId(sessionId));
  if (!row) throw new Unauthorized('your session has ended: sign in again');
  const now = new Date();
  const { idleSince } = lifetimes(ctx, now);
  if (row.user_status !== 'active') throw new Unauthorized('this account is disabled');
  if (row.expires_at <= now.toISOString() || row.last_seen_at < idleSince) {
    await deleteSession(ctx.db, row.id_hash);
    throw new Unauthorized('your session has expired: sign in again');
  }
  if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_INTERVAL_MS) await touchSession(ctx.db, row.id_hash, now.toISOString());
  return { username: row.username, role: row.role, expiresAt: row.expires_at };
}

export async function signOut(ctx: Context, sessionId: string, username: string): Promise<void> {
  await ctx.ledger.submit((trx) => deleteSession(trx, hashId(sessionId)), [
    { actor: `user:${username}`, action: 'session.sign-out', target: `user:${username}`, outcome: 'success' },
  ]);
}
