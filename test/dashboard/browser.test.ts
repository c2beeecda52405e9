// The dashboard in a real browser: Debian's headless Chromium driven by playwright-core
// against a fleetpki started here. A person signs in, finds a device, revokes its
// certificate after confirming and sees the overview change and the risk page rank what the
// API ranks; suspends, reactivates and decommissions another device; an auditor reads the risk page, sees no action and is refused by the server
// when forcing one; a cookie request without the CSRF token is refused. Skipped, with the
// reason printed, where chromium is not installed.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startServer } from '../../src/api/server.ts';
import { addManufacturer } from '../../src/app/manufacturers.ts';
import { createUser } from '../../src/app/users.ts';
import { chromiumMissing, launchBrowser, type Browser } from '../../scripts/browser.ts';
import { testCa } from '../discovery/fixtures.ts';
import { openTestFleet, opensslCsr, type TestFleet } from '../helpers/context.ts';

const missing = chromiumMissing();
if (missing) console.log(`# skipping the browser tests: ${missing}`);

const PASSWORD = 'browser test password';

describe('dashboard in Chromium', { skip: missing ?? false, timeout: 90_000 }, () => {
  let fleet: TestFleet;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  const devices: Record<string, { id: string; certificateId: string }> = {};
  /** Every URL the browser asked for, to prove it never left the fleetpki server. */
  const requested: string[] = [];
  const pageErrors: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${fleet.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data: any = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(data)}`);
    return data;
  }

  before(async () => {
    fleet = await openTestFleet({ listen: '127.0.0.1:0' });
    server = await startServer(fleet.ctx);
    await createUser(fleet.ctx, 'olivia', 'operator', PASSWORD, 'test');
    await createUser(fleet.ctx, 'audra', 'auditor', PASSWORD, 'test');
    await addManufacturer(fleet.ctx, 'acme-pumps', testCa(fleet.dir, '/O=Acme/CN=Acme Pump CA').pem, 'test');
    for (const serial of ['PUMP-0041', 'PUMP-0042', 'VALVE-0007']) {
      const manufacturer = serial === 'PUMP-0042' ? 'acme-pumps' : undefined;
      const device = await api('POST', '/devices', { externalSerial: serial, deviceClass: 'sensor', environment: 'production', owner: 'plant-ops', site: 'plant-north', manufacturer });
      const issued = await api('POST', '/certificates', { csr: opensslCsr(fleet.dir).pem, profile: 'sensor', deviceId: device.id });
      devices[serial] = { id: device.id, certificateId: issued.certificate.id };
    }
    browser = await launchBrowser();
    browser.context.on('request', (request) => requested.push(request.url()));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await fleet?.close();
  });

  async function openPage(): Promise<Page> {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(message.text());
    });
    return page;
  }

  async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
    await browser.context.clearCookies();
    await page.goto(`${server.url}/ui/`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('[data-testid=password-form] button[type=submit]');
  }

  /** The number a counter on the overview shows. */
  async function counter(page: Page, testid: string): Promise<number> {
    const text = await page.locator(`[data-testid=${testid}] .stat-value`).textContent();
    return Number(text!.replace(/,/g, ''));
  }

  it('an operator signs in, finds a device, revokes its certificate after confirming, and the overview and the risk ranking show it', async () => {
    const page = await openPage();
    await signIn(page, 'olivia');
    await page.waitForSelector('[data-testid=expiry-chart]');
    assert.equal(await page.locator('[data-testid=who]').textContent(), 'oliviaoperatorSign out');
    assert.equal(await counter(page, 'certificates-valid'), 3);
    assert.equal(await counter(page, 'certificates-revoked'), 0);
    assert.equal(await page.locator('[data-testid=expiry-chart] rect[data-count="3"]').count(), 1, 'three 30-day certificates expire on one day');

    await page.click('nav.main-nav >> text=Devices');
    await page.fill('#filter-q', 'pump-0042');
    await page.click('form.filters button[type=submit]');
    // A selector, not a string for waitForFunction: the page's CSP forbids eval, and such a
    // predicate failed this test now and then.
    await page.waitForSelector('[data-testid=devices] tbody tr:only-child');
    assert.equal(await page.locator('[data-testid=devices] tbody td:has-text("acme-pumps")').count(), 1, 'the list shows the manufacturer');
    await page.click('[data-testid=devices] >> text=PUMP-0042');
    await page.waitForSelector('h1:has-text("Device PUMP-0042")');
    assert.equal(await page.locator('dl.fields dt:text-is("Manufacturer") + dd').textContent(), 'acme-pumps');
    const row = page.locator('[data-testid=device-certificates] tbody tr');
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('.badge').textContent(), 'valid');

    // Cancelling the confirmation changes nothing.
    await row.locator('button[data-action=revoke]').click();
    await page.click('dialog[open] [data-testid=cancel]');
    assert.equal(await page.locator('dialog').count(), 0);
    assert.equal((await api('GET', `/certificates/${devices['PUMP-0042'].certificateId}`)).status, 'valid');

    await row.locator('button[data-action=revoke]').click();
    const dialog = page.locator('dialog[open]');
    assert.match((await dialog.locator('p').textContent())!, /cannot be undone/);
    await dialog.locator('select[name=reason]').selectOption('keyCompromise');
    await dialog.locator('[data-testid=confirm]').click();
    await page.waitForSelector('[data-testid=notice]:has-text("revoked (keyCompromise)")');
    assert.equal(await page.locator('[data-testid=device-certificates] tbody tr .badge').textContent(), 'revoked');
    assert.ok(await page.locator('[data-testid=audit] td:has-text("certificate.revoke")').count() >= 1, 'the device page shows the audit event');

    const stored = await api('GET', `/certificates/${devices['PUMP-0042'].certificateId}`);
    assert.equal(stored.status, 'revoked');
    assert.equal(stored.revocationReason, 'keyCompromise');
    const [event] = (await api('GET', `/audit?action=certificate.revoke&target=certificate:${stored.id}`)).items;
    assert.equal(event.actor, 'user:olivia');

    await page.click('nav.main-nav >> text=Overview');
    await page.waitForSelector('[data-testid=expiry-chart]');
    assert.equal(await counter(page, 'certificates-revoked'), 1);
    assert.equal(await counter(page, 'certificates-valid'), 2);

    // The risk view shows the reporting module's ranking, row for row as the API ranks it,
    // and no longer the revoked certificate.
    await page.click('nav.main-nav >> text=Risk');
    await page.waitForSelector('[data-testid=risk]');
    assert.equal(await page.locator('[data-testid=unavailable]').count(), 0);
    assert.match((await page.locator('[data-testid=risk-as-of]').textContent())!, /^Ranked as of \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    const ranked = (await api('GET', '/reports/risk?limit=50')).items.map((i: { certificateId: string }) => i.certificateId);
    const shown = await page.locator('[data-testid=risk] tbody tr').evaluateAll((rows) =>
      rows.map((row) => decodeURIComponent(row.querySelector('a[href^="#/certificates/"]')!.getAttribute('href')!.slice('#/certificates/'.length))));
    assert.deepEqual(shown, ranked);
    assert.deepEqual([...shown].sort(), [devices['PUMP-0041'].certificateId, devices['VALVE-0007'].certificateId].sort());
    assert.ok(!shown.includes(devices['PUMP-0042'].certificateId), 'the revoked certificate is not at risk');
    assert.equal(await page.locator('[data-testid=risk] tbody tr').first().locator('td').first().textContent(), '1');
    await page.close();
  });

  it('an operator acknowledges an alert and resolves a discovery finding, each after confirming', async () => {
    // The revocation above left PUMP-0042 active without a valid certificate: drift.
    await api('POST', '/lifecycle/jobs/drift/run');
    const selfSigned = join(fleet.dir, 'stray.pem');
    execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', join(fleet.dir, 'stray.key'), '-out', selfSigned, '-days', '300', '-subj', '/CN=stray.plant.local'], { stdio: 'ignore' });
    await api('POST', '/discovery/imports', { pem: readFileSync(selfSigned, 'utf8'), label: 'browser-test' });

    const page = await openPage();
    await signIn(page, 'olivia');
    const alert = page.locator('[data-testid=alerts] tr:has-text("drift.active-without-certificate")');
    await alert.locator('button[data-action=acknowledge]').click();
    await page.fill('dialog[open] input[name=note]', 'replacement ordered');
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=notice]:has-text("Alert acknowledged")');
    const [acked] = (await api('GET', `/alerts?kind=drift.active-without-certificate&subject=device:${devices['PUMP-0042'].id}`)).items;
    assert.equal(acked.state, 'acknowledged');
    assert.equal(acked.acknowledgedBy, 'user:olivia');

    await page.click('nav.main-nav >> text=Findings');
    const finding = page.locator('[data-testid=findings] tr:has-text("self-signed")');
    await finding.locator('button[data-action=resolve]').click();
    await page.selectOption('dialog[open] select[name=action]', 'dismiss');
    await page.fill('dialog[open] input[name=text]', 'test fixture on the lab bench');
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=notice]:has-text("Finding resolved (dismiss)")');
    const dismissed = (await api('GET', '/discovery/findings?kind=self-signed&status=dismissed')).items;
    assert.equal(dismissed.length, 1);
    assert.equal(dismissed[0].resolvedBy, 'user:olivia');
    await page.close();
  });

  it('an auditor sees no action buttons, and the server refuses a forced revocation with 403', async () => {
    const page = await openPage();
    await signIn(page, 'audra');
    await page.waitForSelector('[data-testid=expiry-chart]');
    const target = devices['VALVE-0007'];
    await page.goto(`${server.url}/ui/#/devices/${target.id}`);
    await page.waitForSelector('[data-testid=device-certificates]');
    assert.equal(await page.locator('button[data-action]').count(), 0, 'no suspend, decommission or revoke');
    assert.equal(await page.locator('dl.fields dt:text-is("Manufacturer") + dd').textContent(), 'not bound: any registered manufacturer');
    await page.goto(`${server.url}/ui/#/profiles/sensor`);
    await page.waitForSelector('h1:has-text("Profile sensor")');
    assert.equal(await page.locator('dl.fields dt:text-is("Device classes") + dd').textContent(), 'any');
    assert.equal(await page.locator('dl.fields dt:text-is("Environments") + dd').textContent(), 'production');
    await page.goto(`${server.url}/ui/#/certificates/${target.certificateId}`);
    await page.waitForSelector('h1:has-text("Certificate")');
    assert.equal(await page.locator('button[data-action]').count(), 0);
    for (const [hash, ready] of [['#/alerts', 'alerts'], ['#/findings', 'findings'], ['#/risk', 'risk']]) {
      await page.goto(`${server.url}/ui/${hash}`);
      await page.waitForSelector(`[data-testid=${ready}]`);
      assert.equal(await page.locator('button[data-action]').count(), 0, hash);
    }

    // Forcing it from the page, with the session's own CSRF token: the role decides.
    const forced = await page.evaluate(async (id) => {
      const session: any = await (await fetch('/api/v1/session')).json();
      const response = await fetch(`/api/v1/certificates/${id}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: '{}',
      });
      return { status: response.status, body: (await response.json()) as any };
    }, target.certificateId);
    assert.equal(forced.status, 403);
    assert.match(forced.body.error.message, /auditor role may not operate/);
    assert.equal((await api('GET', `/certificates/${target.certificateId}`)).status, 'valid');
    await page.close();
  });

  it('a state-changing request with the session cookie but without the CSRF token is refused', async () => {
    const page = await openPage();
    await signIn(page, 'olivia');
    await page.waitForSelector('[data-testid=expiry-chart]');
    const target = devices['VALVE-0007'];
    const attempt = await page.evaluate(async (id) => {
      const response = await fetch(`/api/v1/devices/${id}/suspend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: response.status, body: (await response.json()) as any };
    }, target.id);
    assert.equal(attempt.status, 403);
    assert.match(attempt.body.error.message, /CSRF token/);
    assert.equal((await api('GET', `/devices/${target.id}`)).status, 'active');
    await page.close();
  });

  it('an operator suspends, reactivates and decommissions a device, each after confirming, and the server agrees at every step', async () => {
    const device = await api('POST', '/devices', { externalSerial: 'GATE-0100', deviceClass: 'gateway', environment: 'production', owner: 'plant-ops' });
    const issued = await api('POST', '/certificates', { csr: opensslCsr(fleet.dir).pem, profile: 'sensor', deviceId: device.id });
    const page = await openPage();
    await signIn(page, 'olivia');
    await page.waitForSelector('[data-testid=expiry-chart]');
    await page.goto(`${server.url}/ui/#/devices/${device.id}`);
    await page.waitForSelector('h1:has-text("Device GATE-0100")');
    const status = page.locator('dl.fields dt:text-is("Status") + dd');
    const actions = page.locator('[data-testid=device-actions]');
    assert.equal(await status.textContent(), 'active');

    // Cancelling changes nothing; confirming suspends, and Reactivate takes Suspend's place.
    await actions.locator('button[data-action=suspend]').click();
    assert.match((await page.locator('dialog[open] p').textContent())!, /no new certificate .* until it is reactivated/);
    await page.click('dialog[open] [data-testid=cancel]');
    assert.equal((await api('GET', `/devices/${device.id}`)).status, 'active');
    await actions.locator('button[data-action=suspend]').click();
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=notice]:has-text("Device GATE-0100 suspended.")');
    await page.waitForSelector('[data-testid=device-actions] button[data-action=reactivate]');
    assert.equal(await status.textContent(), 'suspended');
    assert.equal(await actions.locator('button[data-action=suspend]').count(), 0);
    assert.equal((await api('GET', `/devices/${device.id}`)).status, 'suspended');
    assert.equal((await api('GET', `/certificates/${issued.certificate.id}`)).status, 'valid', 'suspending leaves certificates alone');

    await actions.locator('button[data-action=reactivate]').click();
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=notice]:has-text("Device GATE-0100 reactivated.")');
    await page.waitForSelector('[data-testid=device-actions] button[data-action=suspend]');
    assert.equal(await status.textContent(), 'active');
    assert.equal((await api('GET', `/devices/${device.id}`)).status, 'active');

    // Decommissioning as lost revokes its certificate with keyCompromise; no action is left.
    await actions.locator('button[data-action=decommission]').click();
    const dialog = page.locator('dialog[open]');
    assert.match((await dialog.locator('p').textContent())!, /cannot be undone/);
    await dialog.locator('select[name=reason]').selectOption('lost');
    await dialog.locator('[data-testid=confirm]').click();
    await page.waitForSelector('[data-testid=notice]:has-text("Device GATE-0100 decommissioned; 1 certificate(s) revoked.")');
    await page.waitForSelector('h1:has-text("Device GATE-0100") .badge:text-is("decommissioned")');
    assert.equal(await page.locator('[data-testid=device-actions]').count(), 0);
    assert.equal(await page.locator('[data-testid=device-certificates] tbody tr .badge').textContent(), 'revoked');
    assert.equal((await api('GET', `/devices/${device.id}`)).status, 'decommissioned');
    const revoked = await api('GET', `/certificates/${issued.certificate.id}`);
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revocationReason, 'keyCompromise');
    const actionsDone = (await api('GET', `/audit?target=device:${device.id}&actor=user:olivia`)).items.map((e: { action: string }) => e.action);
    for (const action of ['device.suspend', 'device.reactivate', 'device.decommission']) assert.ok(actionsDone.includes(action), `${action} audited as olivia: ${actionsDone}`);
    await page.close();
  });

  it('a wrong password is refused with one message; an API token signs in; signing out ends it', async () => {
    const page = await openPage();
    await signIn(page, 'olivia', 'not the password');
    await page.waitForSelector('[data-testid=sign-in-error]:has-text("wrong username or password")');
    const refused = (await api('GET', '/audit?action=session.sign-in&outcome=refused')).items;
    assert.equal(refused[0].target, 'user:olivia');

    await page.fill('#token', fleet.adminToken);
    await page.click('[data-testid=token-form] button[type=submit]');
    await page.waitForSelector('[data-testid=expiry-chart]');
    assert.match((await page.locator('[data-testid=who]').textContent())!, /initial-admin\s*admin/);
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=password-form]');
    await page.reload();
    await page.waitForSelector('[data-testid=password-form]');
    await page.close();
  });

  it('the browser only ever talked to fleetpki, and no page raised an error', () => {
    assert.ok(requested.length > 20);
    const elsewhere = requested.filter((url) => !url.startsWith(server.url) && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(pageErrors, []);
  });
});
