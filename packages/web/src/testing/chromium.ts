import { existsSync } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

/** The Chromium the browser tests drive: `$CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser tests run: when Chromium is there, and always in CI (`$CI`), where a
 * missing Chromium must fail them rather than skip them (`.ci/run` installs it).
 */
export const RUN_BROWSER_TESTS = existsSync(CHROMIUM_PATH) || process.env.CI !== undefined;

/**
 * Headless Chromium without network access of its own (no sync, updates or background fetches),
 * runnable as root. `hostResolverRules` maps names to addresses (`MAP evil.example 127.0.0.1`):
 * a page loaded from another site's name, as DNS rebinding would.
 */
export async function launchChromium(
  options: { hostResolverRules?: string } = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or install Debian's chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.hostResolverRules === undefined
        ? []
        : [`--host-resolver-rules=${options.hostResolverRules}`]),
    ],
  });
}
