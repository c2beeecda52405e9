// Screenshots of the dashboard's main pages for docs/dashboard.md, taken in headless
// Chromium against a fleetpki started here on a seeded demo fleet (scripts/demo-fleet.ts).
//   node scripts/screenshots.ts [output dir, default docs/screenshots]

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { startServer } from '../src/api/server.ts';
import { closeContext, openContext } from '../src/app/context.ts';
import { initialize } from '../src/app/init.ts';
import { loadConfig } from '../src/config/load.ts';
import { chromiumMissing, launchBrowser } from './browser.ts';
import { DEMO_PASSWORD, seedDemoFleet } from './demo-fleet.ts';

const out = resolve(process.argv[2] ?? 'docs/screenshots');
const missing = chromiumMissing();
if (missing) {
  console.error(`screenshots: ${missing}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'fleetpki-screenshots-'));
const config = loadConfig({ dataDir: dir, listen: '127.0.0.1:0' }, { FLEETPKI_SCRYPT_LOG2N: '12' });
const ctx = await openContext(config, { log: pino({ level: 'silent' }), env: {} });
try {
  await initialize(ctx);
  console.error('seeding the demo fleet…');
  const fleet = await seedDemoFleet(ctx);
  const server = await startServer(ctx);
  const browser = await launchBrowser({ width: 1400, height: 900 });
  try {
    const page = await browser.context.newPage();
    mkdirSync(out, { recursive: true });
    await page.goto(`${server.url}/ui/`);
    await page.waitForSelector('#username');
    await page.screenshot({ path: join(out, 'sign-in.png') });
    await page.fill('#username', 'olivia');
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('form[data-testid=password-form] button[type=submit]');
    await page.waitForSelector('[data-testid=expiry-chart]');
    // Long lists are shot as the screen shows them; the overview and a device page whole.
    const shoot = async (name: string, hash: string, ready: string, fullPage = false) => {
      await page.goto(`${server.url}/ui/${hash}`);
      await page.waitForSelector(ready);
      // A selector rather than a waitForFunction string, which the page's CSP (no eval) can refuse.
      await page.waitForSelector('#view:not([aria-busy])');
      await page.screenshot({ path: join(out, `${name}.png`), fullPage });
      console.error(`  ${name}.png`);
    };
    await shoot('overview', '#/overview', '[data-testid=expiry-chart]', true);
    await shoot('risk', '#/risk', '[data-testid=risk]');
    await shoot('alerts', '#/alerts', '[data-testid=alerts]');
    await shoot('devices', '#/devices?environment=production', '[data-testid=devices]');
    await shoot('device', `#/devices/${fleet.renewed.id}`, '[data-testid=device-certificates]', true);
    await shoot('certificates', '#/certificates?status=valid', '[data-testid=certificates]');
    await shoot('audit-log', '#/audit', '[data-testid=audit]');
    await shoot('cas', '#/cas', '[data-testid=cas]');
    await shoot('findings', '#/findings', '[data-testid=findings]');
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
}
