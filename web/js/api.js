// The dashboard's only way to the data: the same REST API programs use, /api/v1. A person
// signed in with a password is identified by the HttpOnly session cookie and sends the CSRF
// token with every request that changes something; one signed in with an API token sends it
// as a bearer token instead (kept in sessionStorage, gone when the tab closes).

const BASE = '/api/v1';
const TOKEN_KEY = 'fleetpki.token';

/** @typedef {{ kind: 'token' | 'session', name: string, role: string, permissions: string[], expiresAt: string | null, csrfToken: string | null, features: Record<string, boolean> }} Session */

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {string | null} */
let csrfToken = null;
/** @type {() => void} */
let onSignedOut = () => {};

/** @param {() => void} handler called when the server no longer knows us (401) */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

function bearer() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * @param {string} method
 * @param {string} path under /api/v1, with its query string
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const token = bearer();
  if (token) headers.authorization = `Bearer ${token}`;
  else if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const changes = method !== 'GET';
  if (changes) headers['content-type'] = 'application/json';
  const response = await fetch(BASE + path, {
    method,
    headers,
    // Fastify wants a JSON body with a JSON content type; routes without one accept {}.
    body: changes ? JSON.stringify(body ?? {}) : undefined,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${response.status}`);
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw error;
  }
  return data;
}

/**
 * A query string from the set values only.
 * @param {Record<string, string | number | null | undefined>} params
 */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** @returns {Promise<Session | null>} who we are, or null when not signed in */
export async function currentSession() {
  try {
    /** @type {Session} */
    const session = await api('GET', '/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
    throw error;
  }
}

/** @param {string} username @param {string} password @returns {Promise<Session>} */
export async function signInWithPassword(username, password) {
  sessionStorage.removeItem(TOKEN_KEY);
  /** @type {Session} */
  const session = await api('POST', '/session', { username, password });
  csrfToken = session.csrfToken;
  return session;
}

/** Checks the token by asking who it is; kept only if the server accepts it. @param {string} token */
export async function signInWithToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  const session = await currentSession();
  if (!session) throw new ApiError(401, 'unauthorized', 'the server does not accept this API token');
  return session;
}

/** @param {Session} session */
export async function signOut(session) {
  if (session.kind === 'session') await api('DELETE', '/session').catch(() => undefined);
  sessionStorage.removeItem(TOKEN_KEY);
  csrfToken = null;
}
