// The dashboard's entry point: find out who we are (GET /session), show the sign-in page or
// the shell, and render the view the address names. Every view is an async function of the
// route and the session that returns a node; actions re-render the current view.
import { currentSession, signOut, whenSignedOut } from './api.js';
import { errorPanel, takeNotice } from './components/notice.js';
import { h, replace } from './dom.js';
import * as alerts from './pages/alerts.js';
import * as audit from './pages/audit.js';
import * as cas from './pages/cas.js';
import * as certificate from './pages/certificate.js';
import * as certificates from './pages/certificates.js';
import * as device from './pages/device.js';
import * as devices from './pages/devices.js';
import * as findings from './pages/findings.js';
import * as overview from './pages/overview.js';
import * as profiles from './pages/profiles.js';
import * as risk from './pages/risk.js';
import { signInPage } from './pages/sign-in.js';
import { resolve } from './router.js';

/** @typedef {{ route: import('./router.js').Route, session: import('./api.js').Session, refresh: () => void }} View */

/** @type {Array<[string, (view: View) => Promise<Node>]>} */
const ROUTES = [
  ['/overview', overview.render],
  ['/risk', risk.render],
  ['/alerts', alerts.render],
  ['/devices', devices.render],
  ['/devices/:id', device.render],
  ['/certificates', certificates.render],
  ['/certificates/:id', certificate.render],
  ['/cas', cas.renderList],
  ['/cas/:name', cas.renderOne],
  ['/profiles', profiles.renderList],
  ['/profiles/:name', profiles.renderOne],
  ['/findings', findings.render],
  ['/audit', audit.render],
];

const NAV = [
  ['/overview', 'Overview'],
  ['/risk', 'Risk'],
  ['/alerts', 'Alerts'],
  ['/devices', 'Devices'],
  ['/certificates', 'Certificates'],
  ['/cas', 'CAs'],
  ['/profiles', 'Profiles'],
  ['/findings', 'Findings'],
  ['/audit', 'Audit log'],
];

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
/** @type {import('./api.js').Session | null} */
let session = null;
let renderCount = 0;

/** @param {import('./api.js').Session} current */
function shell(current) {
  const signOutButton = h('button', { type: 'button', class: 'link-button', 'data-testid': 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', async () => {
    await signOut(current);
    session = null;
    showSignIn();
  });
  const nav = h('nav', { class: 'main-nav' }, ...NAV.map(([path, text]) => h('a', { href: `#${path}`, 'data-path': path }, text)));
  return h('div', { class: 'layout' },
    h('header', { class: 'top' },
      h('a', { class: 'brand', href: '#/overview' }, h('img', { src: '/ui/favicon.svg', alt: '' }), 'fleetpki'),
      nav,
      h('div', { class: 'who', 'data-testid': 'who' },
        h('span', null, current.name),
        h('span', { class: `role role-${current.role}` }, current.role),
        signOutButton)),
    h('main', { id: 'view' }));
}

async function renderView() {
  if (!session) return;
  const current = session;
  const target = document.getElementById('view');
  if (!target) return;
  const { handler, route } = resolve(ROUTES, location.hash);
  for (const a of document.querySelectorAll('.main-nav a')) {
    a.classList.toggle('active', route.path === a.getAttribute('data-path') || route.path.startsWith(`${a.getAttribute('data-path')}/`));
  }
  const mine = ++renderCount;
  target.setAttribute('aria-busy', 'true');
  let content;
  try {
    content = handler ? await handler({ route, session: current, refresh: () => void renderView() }) : h('p', null, `No page ${route.path}.`);
  } catch (error) {
    content = errorPanel(error);
  }
  if (mine !== renderCount || session !== current) return; // a newer navigation won
  replace(target, ...[takeNotice(), content].filter((n) => n !== null));
  target.removeAttribute('aria-busy');
  document.title = `${route.path.split('/')[1] || 'overview'} · fleetpki`;
}

/** @param {import('./api.js').Session} signedIn */
function showShell(signedIn) {
  session = signedIn;
  replace(root, shell(signedIn));
  void renderView();
}

/** @param {string} [reason] */
function showSignIn(reason) {
  replace(root, signInPage(showShell, reason));
}

whenSignedOut(() => {
  if (!session) return;
  session = null;
  showSignIn('Your session has ended. Sign in again.');
});

window.addEventListener('hashchange', () => void renderView());

currentSession().then(
  (found) => (found ? showShell(found) : showSignIn()),
  (error) => replace(root, errorPanel(error)),
);
