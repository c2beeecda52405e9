// The REST API harness plus what a browser would hold: dashboard users and their session
// cookie and CSRF token, sent the way the dashboard's script sends them.

import type { LightMyRequestResponse } from 'fastify';
import { createUser } from '../../src/app/users.ts';
import type { Role } from '../../src/store/schema.ts';
import { openApi, type ApiHarness } from '../api/harness.ts';

export const PASSWORD = 'a long enough password';

export interface SignedIn {
  cookie: string;
  csrf: string;
  /** The Set-Cookie header of the sign-in answer, as the browser got it. */
  setCookie: string;
}

export interface DashboardHarness extends ApiHarness {
  user(role: Role, username?: string): Promise<string>;
  signIn(username: string, password?: string): Promise<LightMyRequestResponse>;
  session(username: string): Promise<SignedIn>;
  /** A request with the session cookie; `csrf: true` adds the session's CSRF header. */
  asUser(session: SignedIn, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options?: { csrf?: boolean | string; body?: unknown }): Promise<LightMyRequestResponse>;
}

let serial = 0;

export async function openDashboard(...args: Parameters<typeof openApi>): Promise<DashboardHarness> {
  const api = await openApi(...args);
  const harness: DashboardHarness = {
    ...api,
    async user(role, username = `${role}-${++serial}`) {
      await createUser(api.fleet.ctx, username, role, PASSWORD, 'test');
      return username;
    },
    signIn(username, password = PASSWORD) {
      return api.call('POST', '/api/v1/session', { token: null, body: { username, password } });
    },
    async session(username) {
      const response = await harness.signIn(username);
      if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.body}`);
      const setCookie = String(response.headers['set-cookie']);
      return { cookie: setCookie.split(';')[0], csrf: response.json().csrfToken, setCookie };
    },
    asUser(session, method, url, options = {}) {
      const headers: Record<string, string> = { cookie: session.cookie };
      if (options.csrf) headers['x-csrf-token'] = options.csrf === true ? session.csrf : options.csrf;
      const body = options.body ?? (method === 'GET' ? undefined : {});
      return api.call(method, url, { token: null, headers, body });
    },
  };
  return harness;
}
