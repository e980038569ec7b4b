// The UI in a real browser (Debian's Chromium, driven by playwright-core) on a real Codex home.
// Screenshots go to test-results/web/ at the repository's root, for a person to look at.

import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openStateStore } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type WebServer, startWebServer } from '../server/start-web-server.js';
import { RUN_BROWSER_TESTS, launchChromium } from '../testing/chromium.js';
import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { OTHER_ORIGIN, sharedFixtureStore } from '../testing/shared-fixture-store.js';
import { addStage1Memory } from '../testing/stage1-memory.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../../test-results/web/', import.meta.url));
/** The thread that asked to "Summarize the purpose of this repository in one sentence." */
const SUMMARIZE_THREAD_ID = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';
const FOREIGN_HOST = 'rebound.example';

const temp = tempDirs();
let browser: Browser;
let server: WebServer;
let page: Page;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

describe.runIf(RUN_BROWSER_TESTS)('the web UI in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const home = await fixtureHome(temp);
    const store = await openStateStore({ home });
    try {
      await addStage1Memory(store, {
        threadId: ECHO_THREAD_ID,
        sourceUpdatedAt: 1_790_000_000,
        rolloutSummary: 'Ran `echo hi` in **repo-a**: it printed `hi`.',
        rolloutSlug: 'echo-hi',
      });
    } finally {
      await store.close();
    }
    server = await startWebServer({ home, port: 0 });
    browser = await launchChromium({ hostResolverRules: `MAP ${FOREIGN_HOST} 127.0.0.1` });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    temp.cleanup();
  });

  it('lists the threads of the home', async () => {
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('Threads · agent-state');
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBeGreaterThan(5);
    const echo = page.locator(`a[href="/threads/${ECHO_THREAD_ID}"]`);
    await expect(echo.textContent()).resolves.toBe('RUN: echo hi');
    await screenshot('thread-list');
  });

  it('reaches the search box with Tab, and with /', async () => {
    await page.goto(server.url);
    const focused = () =>
      page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe(
      'Skip to content',
    );
    let reached = false;
    for (let presses = 0; presses < 10 && !reached; presses += 1) {
      await page.keyboard.press('Tab');
      reached = (await focused()) === 'search-input';
    }
    expect(reached).toBe(true);
    await page.locator('h1').click();
    await page.keyboard.press('/');
    await expect(focused()).resolves.toBe('search-input');
  });

  it('finds a known thread, and its snippet opens the transcript at its line', async () => {
    await page.goto(server.url);
    await page.keyboard.press('/');
    await page.keyboard.type('repository');
    await Promise.all([page.waitForURL(/\/search\?q=repository/), page.keyboard.press('Enter')]);
    const hit = page.locator('section.search-hit', {
      has: page.locator(`a[href="/threads/${SUMMARIZE_THREAD_ID}"]`),
    });
    await expect(hit.count()).resolves.toBe(1);
    await expect(hit.locator('mark').first().textContent()).resolves.toMatch(/repository/i);
    await screenshot('search');

    await Promise.all([page.waitForURL(/line=\d+#line-\d+$/), hit.locator('ol a').first().click()]);
    const line = new URL(page.url()).hash.slice(1);
    const target = page.locator(`[id="${line}"]`);
    await expect(target.count()).resolves.toBe(1);
    await expect(target.textContent()).resolves.toContain('repository');
  });

  it("shows a transcript: the prompt and a tool's output; j and k move between turns", async () => {
    const response = await page.goto(`${server.url}threads/${ECHO_THREAD_ID}`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('.item-user_message .text').first().textContent()).resolves.toBe(
      'RUN: echo hi',
    );
    const call = page.locator('.item-tool_call').first();
    await expect(call.locator('.command').textContent()).resolves.toBe('$ echo hi');
    await expect(call.locator('.output pre').textContent()).resolves.toMatch(/^hi\s*$/);
    await expect(call.isVisible()).resolves.toBe(true);

    await page.keyboard.press('j');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('turn-1');
    await screenshot('transcript');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('transcript-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it("shows the recent memories of the thread's project, each summary folded until opened", async () => {
    await page.goto(`${server.url}threads/${ECHO_THREAD_ID}`);
    const section = page.locator('section.project-memories');
    const heading = section.locator('h2');
    await expect(heading.isVisible()).resolves.toBe(true);
    await expect(heading.textContent()).resolves.toBe('Recent memories of this project');
    const own = section.locator('li.memory-current');
    await expect(own.locator('.memory-slug').textContent()).resolves.toBe('echo-hi');
    await expect(own.locator('a[aria-current="page"]').getAttribute('href')).resolves.toBe(
      `/threads/${ECHO_THREAD_ID}`,
    );
    const summary = own.locator('.markdown');
    await expect(summary.isVisible()).resolves.toBe(false);
    await own.locator('summary').click();
    await expect(summary.isVisible()).resolves.toBe(true);
    await expect(summary.locator('strong').textContent()).resolves.toBe('repo-a');
    await section.screenshot({ path: `${SCREENSHOTS}transcript-memories.png` });
  });

  it('draws the usage charts', async () => {
    const response = await page.goto(`${server.url}usage?days=all`);
    expect(response?.status()).toBe(200);
    const canvas = page.locator('#tokens-chart .uplot canvas');
    await canvas.waitFor({ state: 'visible', timeout: 10_000 });
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(box?.height).toBeGreaterThan(100);
    await expect(page.locator('#cost-chart .uplot canvas').count()).resolves.toBe(1);
    await expect(page.locator('#model-table tbody tr').count()).resolves.toBeGreaterThan(0);
    await screenshot('usage');
  });

  it('shows the health of the store', async () => {
    const response = await page.goto(`${server.url}health`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('main').textContent()).resolves.toContain('Backfill');
    await screenshot('health');
  });

  it('refuses a page loaded under another name (DNS rebinding)', async () => {
    const response = await page.goto(`http://${FOREIGN_HOST}:${server.port}/`);
    expect(response?.status()).toBe(421);
    await expect(page.locator('body').textContent()).resolves.not.toContain('echo hi');
  });

  it('asks for the token on a non-loopback bind, then keeps it in a cookie', async () => {
    const open = await startWebServer({ home: await fixtureHome(temp), host: '0.0.0.0', port: 0 });
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      const bare = new URL(open.url);
      bare.search = '';
      const refused = await tab.goto(bare.href);
      expect(refused?.status()).toBe(401);
      await expect(tab.locator('body').textContent()).resolves.not.toContain('echo hi');

      const admitted = await tab.goto(open.url);
      expect(admitted?.status()).toBe(200);
      expect(tab.url()).toBe(bare.href); // the token left the address bar
      const again = await tab.goto(`${bare.origin}/threads/${ECHO_THREAD_ID}`);
      expect(again?.status()).toBe(200);
      await expect(tab.locator('.item-tool_call .command').first().textContent()).resolves.toBe(
        '$ echo hi',
      );
    } finally {
      await context.close();
      await open.close();
    }
  });

  it('over a shared store: the threads with their host, and a thread of another machine from its stored conversation', async () => {
    const home = await fixtureHome(temp);
    const { store, shared } = await sharedFixtureStore(home, [ECHO_THREAD_ID]);
    const over = await startWebServer({ home, port: 0, store, shared });
    try {
      await page.goto(over.url);
      await expect(page.locator('.store-scope').textContent()).resolves.toContain(shared.server);
      const row = page.locator('table tbody tr', {
        has: page.locator(`a[href="/threads/${SUMMARIZE_THREAD_ID}"]`),
      });
      await expect(row.locator('td.host').textContent()).resolves.toBe(
        `${OTHER_ORIGIN.host}${OTHER_ORIGIN.homePath}`,
      );
      await screenshot('shared-thread-list');

      await Promise.all([
        page.waitForURL(new RegExp(`/threads/${SUMMARIZE_THREAD_ID}$`)),
        row.locator(`a[href="/threads/${SUMMARIZE_THREAD_ID}"]`).click(),
      ]);
      await expect(page.locator('.notice strong').first().textContent()).resolves.toBe(
        `The full transcript is on ${OTHER_ORIGIN.host}, in ${OTHER_ORIGIN.homePath}.`,
      );
      await expect(page.locator('.item-user_message .text').first().textContent()).resolves.toMatch(
        /^Summarize the purpose of this repository/,
      );
      await expect(page.locator('a[download]').count()).resolves.toBe(0);
      await page.keyboard.press('j');
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('turn-1');
      await screenshot('shared-thread');

      await page.goto(`${over.url}health`);
      await expect(page.locator('h1').textContent()).resolves.toBe('Health of the shared store');
      await expect(page.locator('#homes-table tbody tr').count()).resolves.toBe(2);
      await screenshot('shared-health');
    } finally {
      await over.close();
      await store.close();
    }
  });
});
