import { type Browser, chromium } from 'playwright-core';

// Debian's chromium (installed by .ci/run), driven by playwright-core: no browser download.
// playwright's launch() gives every browser a fresh temporary profile (it refuses --user-data-dir).

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
