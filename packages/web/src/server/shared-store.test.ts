import { type AgentStateStore, stateDbFileName } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { changedFiles, snapshotFiles } from '../testing/home-snapshot.js';
import { httpGet } from '../testing/http-get.js';
import { OTHER_ORIGIN, sharedFixtureStore } from '../testing/shared-fixture-store.js';
import type { SharedStoreDescription } from './shared-store.js';
import { type WebServer, startWebServer } from './start-web-server.js';

/** The thread that asked to "Summarize the purpose of this repository in one sentence." */
const SUMMARIZE_THREAD_ID = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';

const temp = tempDirs();
let home: string;
let store: AgentStateStore;
let shared: SharedStoreDescription;
let server: WebServer;
let before: ReturnType<typeof snapshotFiles>;

beforeAll(async () => {
  home = await fixtureHome(temp);
  before = snapshotFiles(home);
  // The echo thread is in the served home; every other one on laptop-b.
  ({ store, shared } = await sharedFixtureStore(home, [ECHO_THREAD_ID]));
  server = await startWebServer({ home, port: 0, store, shared });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  temp.cleanup();
});

function get(path: string) {
  return httpGet(`http://127.0.0.1:${server.port}${path}`, {
    headers: { host: `127.0.0.1:${server.port}` },
  });
}

describe('startWebServer over a shared store', () => {
  it('lists every home’s threads with their host and home; the filters still apply', async () => {
    const list = await get('/');
    expect(list.status).toBe(200);
    expect(list.body).toContain(`shared store <code>${shared.server}</code>`);
    expect(list.body).toContain('<th scope="col">Host</th>');
    expect(list.body).toContain(
      `${OTHER_ORIGIN.host}<span class="home-path">${OTHER_ORIGIN.homePath}</span>`,
    );
    expect(list.body).toContain(`this-host<span class="home-path">${home}</span>`);
    expect(list.body).toContain(`/threads/${ECHO_THREAD_ID}`);
    expect(list.body).toContain(`/threads/${SUMMARIZE_THREAD_ID}`);
    // No note about the rollouts: a shared store is listed from its rows as they are.
    expect(list.body).not.toContain('Listed from the rollouts');

    const archived = await get('/?archived=1');
    expect(archived.status).toBe(200);
    expect(archived.body).not.toContain(`/threads/${ECHO_THREAD_ID}"`);
    const elsewhere = await get('/?cwd=%2Fnowhere');
    expect(elsewhere.body).toContain('No threads match these filters.');
    const exec = await get('/?source=exec');
    expect(exec.status).toBe(200);
  });

  it('searches the shared store, each hit saying its host', async () => {
    const search = await get('/search?q=repository');
    expect(search.status).toBe(200);
    expect(search.body).toContain(`/threads/${SUMMARIZE_THREAD_ID}`);
    expect(search.body).toContain(`${OTHER_ORIGIN.host} <code>${OTHER_ORIGIN.homePath}</code>`);
  });

  it('shows a thread of another machine from its stored conversation, with the notice and no downloads', async () => {
    const page = await get(`/threads/${SUMMARIZE_THREAD_ID}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(
      `The full transcript is on ${OTHER_ORIGIN.host}, in ${OTHER_ORIGIN.homePath}.`,
    );
    expect(page.body).toContain('downloads of a full transcript are not offered here');
    expect(page.body).not.toContain('export.md');
    expect(page.body).toContain('<dt>Host</dt><dd>laptop-b</dd>');
    expect(page.body).toContain(`<dt>Home</dt><dd><code>${OTHER_ORIGIN.homePath}</code></dd>`);
    // The conversation, in rollout order, drawn like a transcript.
    const documents = await store.search.documents(SUMMARIZE_THREAD_ID);
    expect(documents.length).toBeGreaterThan(1);
    const lines = [...page.body.matchAll(/<article class="item item-(\w+)" id="line-(\d+)"/g)];
    expect(lines.map((match) => [match[1], Number(match[2])])).toEqual(
      documents.map((document) => [document.kind, document.line]),
    );
    expect(page.body).toContain('>Turn 1</h2>');
    expect(page.body).toMatch(/<div class="text">Summarize the purpose of this repository/);

    for (const format of ['md', 'html', 'json']) {
      const download = await get(`/threads/${SUMMARIZE_THREAD_ID}/export.${format}`);
      expect(download.status, format).toBe(404);
      expect(download.headers['content-type'], format).toMatch(/^text\/html/);
      expect(download.body, format).toContain(`The full transcript is on ${OTHER_ORIGIN.host}`);
    }
    expect((await get('/threads/01a1fca2-0000-7000-8000-000000000000')).status).toBe(404);
  });

  it('shows a thread of the served home in full, read from its rollout, with its downloads', async () => {
    const page = await get(`/threads/${ECHO_THREAD_ID}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('the transcript is read from its rollout');
    expect(page.body).toContain(`/threads/${ECHO_THREAD_ID}/export.md`);
    expect(page.body).toContain('$ echo hi');
    const markdown = await get(`/threads/${ECHO_THREAD_ID}/export.md`);
    expect(markdown.status).toBe(200);
    expect(markdown.body).toContain('echo hi');
  });

  it('sums the usage of the shared store', async () => {
    const usage = await get('/usage?days=all');
    expect(usage.status).toBe(200);
    expect(usage.body).toContain('The usage of every home pushed to the shared store');
    expect(usage.body).toContain('id="model-table"');
  });

  it('describes the shared store on the health page, not a home', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toContain('Health of the shared store');
    expect(health.body).toContain('not a home on this machine');
    expect(health.body).toContain(`<td>${shared.server}</td>`);
    const { schemaVersion } = await store.info();
    expect(health.body).toContain(`<th scope="row">Schema version</th><td>${schemaVersion}</td>`);
    expect(health.body).toContain(`<th scope="row">${OTHER_ORIGIN.host}</th>`);
    expect(health.body).toContain(`has never completed a sync`);
    expect(health.body).not.toContain('Logs database');
  });

  it('wrote nothing to the home', async () => {
    for (const path of ['/', '/search?q=echo', `/threads/${ECHO_THREAD_ID}`, '/usage', '/health']) {
      expect((await get(path)).status, path).toBe(200);
    }
    // The test's stand-in for the shared store is this home's SQLite file, opened read-only: a
    // reader may leave SQLite's empty companions, nothing else.
    const companion = (path: string) => path.startsWith(`${stateDbFileName()}-`);
    expect(changedFiles(before, snapshotFiles(home), companion)).toEqual([]);
  });

  it('refuses a shared description without its store', async () => {
    await expect(startWebServer({ home, port: 0, shared })).rejects.toThrow(/shared/);
  });
});
