// Headless Chromium for the dashboard's browser tests and screenshots: Debian's `chromium`
// package driven by playwright-core (never `playwright install`: no browser download), with
// a fresh profile directory each time and nothing that reaches the network on its own.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.FLEETPKI_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with its own new profile (--user-data-dir), removed on close. */
export async function launchBrowser(viewport = { width: 1400, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'fleetpki-chromium-'));
  // launchPersistentContext is playwright's way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport, timeout: 30_000 });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
