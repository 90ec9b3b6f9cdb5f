// Debian's chromium driven by playwright-core, for the web page's tests and benchmark.
// playwright-core downloads no browser: it is pointed at /usr/bin/chromium, which
// scripts/setup.mjs installs. Without it the launch fails with a message saying so.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test's set-up does: scripts/setup.mjs)`);
  }
  // --no-sandbox: the tests run as root in CI, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}
