// Sign-in: people with a username and password (a cookie session), or anyone holding an API
// token (kept in this tab only). A refusal says the same thing whichever part was wrong.
import { ApiError, signInWithPassword, signInWithToken } from '../api.js';
import { h } from '../dom.js';

/**
 * @param {(session: import('../api.js').Session) => void} onSignedIn
 * @param {string} [reason] why the person is here (a session that ended)
 */
export function signInPage(onSignedIn, reason) {
  const message = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'sign-in-error' });
  /** @param {unknown} error */
  const show = (error) => {
    message.textContent = error instanceof ApiError && (error.status === 401 || error.status === 429) ? error.message : `Could not sign in: ${error instanceof Error ? error.message : String(error)}`;
  };

  const passwordForm = /** @type {HTMLFormElement} */ (h('form', { class: 'sign-in', 'data-testid': 'password-form' },
    h('h2', null, 'Sign in'),
    h('label', { class: 'field', for: 'username' }, h('span', null, 'Username'), h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    h('label', { class: 'field', for: 'password' }, h('span', null, 'Password'), h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(passwordForm);
    try {
      onSignedIn(await signInWithPassword(String(data.get('username')).trim(), String(data.get('password'))));
    } catch (error) {
      show(error);
    }
  });

  const tokenForm = /** @type {HTMLFormElement} */ (h('form', { class: 'sign-in', 'data-testid': 'token-form' },
    h('h2', null, 'Or use an API token'),
    h('label', { class: 'field', for: 'token' }, h('span', null, 'API token'), h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', placeholder: 'fpk_…', required: true })),
    h('p', { class: 'hint' }, 'Kept in this browser tab only, until you sign out or close it.'),
    h('button', { type: 'submit', class: 'secondary' }, 'Use token')));
  tokenForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      onSignedIn(await signInWithToken(String(new FormData(tokenForm).get('token'))));
    } catch (error) {
      show(error);
    }
  });

  return h('main', { class: 'sign-in-page' },
    h('div', { class: 'brand big' }, h('img', { src: '/ui/favicon.svg', alt: '' }), 'fleetpki'),
    reason ? h('p', { class: 'notice notice-bad' }, reason) : null,
    message,
    h('div', { class: 'sign-in-forms' }, passwordForm, tokenForm));
}
