import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { openPostgresStore } from '@agent-state/postgres';
import { type UsageSummary, formatCount } from '@agent-state/rollout';
import { readHomeIdentity } from '@agent-state/state';
import { postgresAvailable, queryRows, tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import { DEFAULT_WEB_PORT } from '@agent-state/web';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { backfilledHome, codexHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import { STORE_URL_ENV, sharedStoreOf } from '../../remote-store-options.js';
import type { SearchReport } from '../search/search.js';
import type { ThreadsListReport } from '../threads/list/threads-list.js';

import { SERVE_TOKEN_ENV, runServe, stderrLogger } from './serve.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** The first URL printed on stdout, once there is one. */
async function printedUrl(io: ReturnType<typeof captureIo>): Promise<string> {
  for (let tries = 0; tries < 200; tries += 1) {
    const match = /http:\/\/\S+/.exec(io.stdout.text());
    if (match) return match[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no URL printed: ${io.stdout.text()}`);
}

describe('agent-state serve', () => {
  it('serves the home until stopped, then closes', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({ home, io, port: 0, open: false, signal: controller.signal });
    const url = await printedUrl(io);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(io.stdout.text()).toContain('Ctrl-C stops it.');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('RUN: echo hi');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('on a home without a store, says to run the backfill and still serves the threads', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({ home, io, port: 0, open: false, signal: controller.signal });
    const url = await printedUrl(io);
    expect(io.stderr.text()).toContain('has no store yet');
    expect(io.stderr.text()).toContain('agent-state backfill');
    const page = await fetch(url);
    expect(await page.text()).toContain('RUN: echo hi');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
  });

  it('prints the URL with its token, and a warning, on a non-loopback host', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({
      home,
      io,
      port: 0,
      host: '0.0.0.0',
      token: 'cli-token-123456',
      open: false,
      signal: controller.signal,
    });
    const url = await printedUrl(io);
    expect(new URL(url).searchParams.get('token')).toBe('cli-token-123456');
    expect(io.stdout.text()).toContain('can read these transcripts');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
  });

  it('takes the token from $AGENT_STATE_SERVE_TOKEN (out of sight of ps); --token wins', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    for (const [token, expected] of [
      [undefined, 'env-token-123456'],
      ['flag-token-123456', 'flag-token-123456'],
    ] as const) {
      const io = captureIo({ env: { [SERVE_TOKEN_ENV]: 'env-token-123456' } });
      const controller = new AbortController();
      const running = runServe({
        home,
        io,
        port: 0,
        host: '0.0.0.0',
        token,
        open: false,
        signal: controller.signal,
      });
      const url = await printedUrl(io);
      expect(new URL(url).searchParams.get('token')).toBe(expected);
      controller.abort();
      await expect(running).resolves.toBe(ExitCode.Ok);
    }
  });

  it('logs failures on stderr, one line each', () => {
    const io = captureIo();
    const logger = stderrLogger(io).child({ target: 'agent_state::web' });
    logger.error('a page failed', { path: '/usage', error: 'cannot use the store:\nclosed' });
    logger.warn('slow');
    logger.info('not shown');
    expect(io.stderr.text()).toBe(
      [
        'agent-state serve: error: a page failed {"path":"/usage","error":"cannot use the store:\\nclosed"}',
        'agent-state serve: warn: slow',
        '',
      ].join('\n'),
    );
  });

  it('documents the token variable, the default port and the shared store in its help', async () => {
    const run = await runCli(['serve', '--help']);
    expect(run.stdout).toContain('AGENT_STATE_SERVE_TOKEN');
    expect(run.stdout).toContain(`default ${DEFAULT_WEB_PORT}`);
    for (const flag of ['--store <url>', '--home-host <name>', '--home-id <id>']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain('AGENT_STATE_STORE_URL');
  });

  it('names a port in use (exit 2)', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runCli(['--home', home, 'serve', '--port', String(port)]);
      expect(run.exitCode).toBe(ExitCode.Usage);
      expect(run.stderr).toContain(`port ${port} is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a home that does not exist (exit 3) and a bad port (exit 2)', async () => {
    const missing = join(temp.make('serve'), 'nowhere');
    expect((await runCli(['--home', missing, 'serve', '--port', '0'])).exitCode).toBe(
      ExitCode.NotFound,
    );
    const bad = await runCli(['--home', missing, 'serve', '--port', '70000']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('--port');
  });
});

/** The thread of the v0.169.0 fixture home that asks to summarize the repository. */
const SUMMARIZE_THREAD_ID = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';

describe.skipIf(!postgresAvailable())('agent-state serve --store', () => {
  const postgres = useTestPostgres();

  it('serves every home of the shared store, read-only: the list with hosts, search, a thread of another machine, usage and the store’s health', async () => {
    const url = await postgres().createDatabase();
    const a = await backfilledHome(temp, 'v0.100.0');
    const b = await backfilledHome(temp, 'v0.169.0');
    for (const home of [a, b]) {
      expect((await runCli(['--home', home, 'sync', '--to', url])).exitCode).toBe(ExitCode.Ok);
    }
    const idA = readHomeIdentity(a).homeId;
    const idB = readHomeIdentity(b).homeId;
    // B was pushed from another machine.
    await queryRows(url, 'UPDATE homes SET host = $1 WHERE home_id = $2', ['laptop-b', idB]);
    const homesBefore = await queryRows(url, 'SELECT * FROM homes ORDER BY home_id');

    const listOf = async (home: string) =>
      (
        await runCliJson<ThreadsListReport>([
          '--home',
          home,
          'threads',
          'list',
          '--json',
          '--limit',
          '1000',
        ])
      ).json.items.map((item) => item.id);
    const threadsA = await listOf(a);
    const threadsB = await listOf(b);
    expect(threadsB).toContain(SUMMARIZE_THREAD_ID);

    // Served from home A, with the URL in $AGENT_STATE_STORE_URL as `--store` would give it.
    const io = captureIo({ env: { [STORE_URL_ENV]: url } });
    const controller = new AbortController();
    const running = runServe({
      home: a,
      io,
      port: 0,
      open: false,
      shared: sharedStoreOf(io, {}),
      signal: controller.signal,
    });
    const base = await printedUrl(io);
    const get = async (path: string) => {
      const reply = await fetch(new URL(path, base));
      return { status: reply.status, body: await reply.text() };
    };
    try {
      expect(io.stdout.text()).toContain('agent-state serve: the shared store postgres://');
      expect(io.stdout.text()).toContain('(2 homes)');
      expect(io.stdout.text()).not.toContain(postgres().password);
      expect(io.stderr.text()).toBe('');

      // The list: both homes' threads, each with its host.
      const list = await get('/');
      expect(list.status).toBe(200);
      for (const id of [...threadsA, ...threadsB]) expect(list.body).toContain(`/threads/${id}"`);
      const hostCells = [...list.body.matchAll(/<td class="host">([^<]*)<span/g)].map(
        (match) => match[1],
      );
      expect(new Set(hostCells)).toEqual(new Set([hostname(), 'laptop-b']));
      expect(hostCells).toHaveLength(threadsA.length + threadsB.length);
      // The filters still apply: the threads `threads list --store` gives with the same filters.
      for (const [path, flags] of [
        ['/?cwd=%2Fhome%2Fuser%2Fprojects%2Fplain-c', ['--cwd', '/home/user/projects/plain-c']],
        ['/?source=vscode&sort=updated', ['--source', 'vscode', '--sort', 'updated']],
        ['/?archived=1', ['--archived']],
      ] as const) {
        const page = await get(path);
        expect(page.status, path).toBe(200);
        const expected = await runCliJson<ThreadsListReport>([
          '--home',
          a,
          'threads',
          'list',
          '--json',
          '--store',
          url,
          ...flags,
        ]);
        const shown = [...page.body.matchAll(/<th scope="row"><a href="\/threads\/([^"]+)">/g)];
        expect(
          shown.map((match) => match[1]),
          path,
        ).toEqual(expected.json.items.map((item) => item.id));
        expect(shown.length, path).toBeGreaterThan(0);
      }

      // Search: the threads of both homes that match, as `search --store` finds them.
      const expectedHits = await runCliJson<SearchReport>([
        '--home',
        a,
        'search',
        'file',
        '--json',
        '--limit',
        '30',
        '--store',
        url,
      ]);
      const hitIds = expectedHits.json.hits.map((hit) => hit.thread.id);
      expect(hitIds.some((id) => threadsA.includes(id))).toBe(true);
      expect(hitIds.some((id) => threadsB.includes(id))).toBe(true);
      const search = await get('/search?q=file');
      expect(search.status).toBe(200);
      for (const id of hitIds) expect(search.body).toContain(`<a href="/threads/${id}">`);
      expect(search.body).toContain('laptop-b <code>');

      // A thread of the other machine: its facts, the notice, its stored conversation; no downloads.
      const other = await get(`/threads/${SUMMARIZE_THREAD_ID}`);
      expect(other.status).toBe(200);
      expect(other.body).toContain('The full transcript is on laptop-b, in ');
      expect(other.body).toContain('<dt>Host</dt><dd>laptop-b</dd>');
      expect(other.body).toContain('Summarize the purpose of this repository in one sentence.');
      expect(other.body).toContain('Mock answer to: Summarize the purpose of this repository');
      expect(other.body).not.toContain('/export.md');
      expect((await get(`/threads/${SUMMARIZE_THREAD_ID}/export.json`)).status).toBe(404);
      // A thread of the home serve runs in: in full, from its rollout, with its downloads.
      const own = await get(`/threads/${threadsA[0]!}`);
      expect(own.status).toBe(200);
      expect(own.body).toContain('the transcript is read from its rollout');
      expect((await get(`/threads/${threadsA[0]!}/export.md`)).status).toBe(200);

      // Usage: the sums of both homes.
      const totals = await Promise.all(
        [a, b].map(
          async (home) =>
            (await runCliJson<UsageSummary>(['--home', home, 'usage', '--json'])).json.totals
              .totalTokens,
        ),
      );
      const usage = await get('/usage?days=all');
      expect(usage.status).toBe(200);
      expect(totals[0]! * totals[1]!).toBeGreaterThan(0);
      expect(usage.body).toContain(`<p>${formatCount(totals[0]! + totals[1]!)} tokens, `);

      // Health: the shared store, its schema and its homes, never its password.
      const store = await openPostgresStore({ url, home: a, acrossHomes: true });
      const { schemaVersion } = await store.info().finally(() => store.close());
      const health = await get('/health');
      expect(health.status).toBe(200);
      expect(health.body).toContain('Health of the shared store');
      expect(health.body).toContain('not a home on this machine');
      expect(health.body).toContain(`<th scope="row">Schema version</th><td>${schemaVersion}</td>`);
      for (const [host, home, id] of [
        [hostname(), readHomeIdentity(a).homePath, idA],
        ['laptop-b', readHomeIdentity(b).homePath, idB],
      ]) {
        expect(health.body).toContain(`<th scope="row">${host}</th><td class="cwd">${home}</td>`);
        expect(health.body).toContain(id);
      }
      for (const page of [list, search, other, usage, health]) {
        expect(page.body).not.toContain(postgres().password);
      }
    } finally {
      controller.abort();
      await expect(running).resolves.toBe(ExitCode.Ok);
    }
    // Nothing was written: the homes as they were (a store opened for writing would touch them).
    expect(await queryRows(url, 'SELECT * FROM homes ORDER BY home_id')).toEqual(homesBefore);
  });

  it('keeps the homes of --home-host and --home-id only (--host stays the address to listen on)', async () => {
    const url = await postgres().createDatabase();
    const a = await backfilledHome(temp, 'v0.100.0');
    const b = await backfilledHome(temp, 'v0.169.0');
    for (const home of [a, b]) {
      expect((await runCli(['--home', home, 'sync', '--to', url])).exitCode).toBe(ExitCode.Ok);
    }
    await queryRows(url, 'UPDATE homes SET host = $1 WHERE home_id = $2', [
      'laptop-b',
      readHomeIdentity(b).homeId,
    ]);
    for (const flags of [
      { store: url, host: ['laptop-b'] },
      { store: url, homeId: [readHomeIdentity(b).homeId] },
    ]) {
      const io = captureIo();
      const controller = new AbortController();
      const running = runServe({
        home: a,
        io,
        port: 0,
        host: '127.0.0.1',
        open: false,
        shared: sharedStoreOf(io, flags, { hostFlag: '--home-host' }),
        signal: controller.signal,
      });
      const base = await printedUrl(io);
      try {
        expect(io.stdout.text()).toContain('(1 home)');
        const list = await (await fetch(base)).text();
        expect(list).toContain(`/threads/${SUMMARIZE_THREAD_ID}"`);
        expect(list).not.toContain(`<td class="host">${hostname()}<span`);
      } finally {
        controller.abort();
        await expect(running).resolves.toBe(ExitCode.Ok);
      }
    }
    const without = await runCli(['--home', a, 'serve', '--home-host', 'laptop-b']);
    expect(without.exitCode).toBe(ExitCode.Usage);
    expect(without.stderr).toContain('--home-host');
    expect(without.stderr).toContain('--store');
  });

  it('fails before listening on refused credentials, never printing the password', async () => {
    const url = await postgres().createDatabase();
    const home = await backfilledHome(temp, 'v0.100.0');
    const wrong = url.replace(`:${postgres().password}@`, ':not-the-password@');
    const run = await runCli(['--home', home, 'serve', '--port', '0', '--store', wrong]);
    expect(run.exitCode).toBe(ExitCode.Failure);
    expect(run.stderr).toMatch(
      /the store server postgres:\/\/agent_state@127\.0\.0\.1:\d+\/\w+ refused to let in/,
    );
    expect(run.stdout).not.toContain('http://');
    expect(`${run.stdout}${run.stderr}`).not.toContain('not-the-password');
    expect(`${run.stdout}${run.stderr}`).not.toContain(postgres().password);
  });
});
