import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { type AgentStateStore, openStateStore } from '@agent-state/state';
import {
  type TestPostgres,
  postgresAvailable,
  startTestPostgres,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { backfilledHome, runCliJson } from '../../cli-harness.js';
import type { SearchReport } from '../search/search.js';

// Built by the `build` task, which turbo runs before `test`.
const BIN = fileURLToPath(new URL('../../../dist/bin.js', import.meta.url));
/** How long a change may take to show under a loaded CI machine (the bound itself is benched). */
const WAIT_MS = 30_000;

const temp = tempDirs();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  temp.cleanup();
});

const DAY = join('sessions', '2026', '11', '21');
const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const ARCHIVED = '01a1fca2-5aa3-7c12-8532-ec6f4d38d22b';
const GONE = '01a1fca2-5c8e-74b0-8fda-13bef72eecb4';
const BY_HAND = '01a1fca2-5f95-74d0-894d-b869110d0997';
const COMPRESSED = '01a1fca2-6294-7740-8f45-88f4064ebdb3';

interface Change {
  type: string;
  pushed?: number;
  threadId?: string;
  path?: string;
  lines?: number;
}

/** `agent-state watch --json` in a child process, and the changes it prints, in order. */
function startWatcher(home: string, args: readonly string[] = []) {
  const child = spawn(process.execPath, [BIN, '--home', home, 'watch', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const seen: Change[] = [];
  /** Every change printed, for the message of a wait that times out. */
  const all: Change[] = [];
  const waiting: Array<{ test: (change: Change) => boolean; resolve: (c: Change) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const change = JSON.parse(line) as Change;
    seen.push(change);
    all.push(change);
    for (const wait of waiting.splice(0)) {
      if (wait.test(change)) wait.resolve(change);
      else waiting.push(wait);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    /** The first change (seen or to come) that passes `test`. */
    next(test: (change: Change) => boolean): Promise<Change> {
      const found = seen.find(test);
      if (found) {
        seen.splice(seen.indexOf(found), 1);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no such change in ${WAIT_MS} ms (${test.toString()}); printed: ${JSON.stringify(all)}; stderr: ${stderr}`,
              ),
            ),
          WAIT_MS,
        );
        waiting.push({
          test,
          resolve: (change) => {
            clearTimeout(timer);
            seen.splice(seen.indexOf(change), 1);
            resolve(change);
          },
        });
      });
    },
  };
}

/** Retries `check` every 100 ms until it passes or WAIT_MS have gone by (then its error). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function rolloutOf(home: string, id: string, dir = DAY): string {
  const name = readdirSync(join(home, dir)).find((entry) => entry.includes(id));
  if (!name) throw new Error(`no rollout of ${id} in ${dir}`);
  return join(home, dir, name);
}

/** A user message and a model call, as Codex appends them. */
function appendTurn(path: string, word: string): void {
  const at = new Date().toISOString();
  appendFileSync(
    path,
    `${JSON.stringify({ timestamp: at, type: 'event_msg', payload: { type: 'user_message', message: `please look at the ${word}`, images: [] } })}\n` +
      `${JSON.stringify({ timestamp: at, type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: 5000, cached_input_tokens: 0, output_tokens: 500, reasoning_output_tokens: 0, total_tokens: 5500 }, last_token_usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20, reasoning_output_tokens: 0, total_tokens: 120 }, model_context_window: null }, rate_limits: null } })}\n`,
  );
}

async function withStore<T>(home: string, use: (store: AgentStateStore) => Promise<T>): Promise<T> {
  const store = await openStateStore({ home, readOnly: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const searched = (home: string, word: string) =>
  withStore(home, async (store) =>
    (await store.search.search({ query: word, limit: 10 })).hits.map((hit) => hit.thread.id),
  );

describe('agent-state watch (real processes)', () => {
  it('follows appends, archives, unarchives, compression, new and deleted rollouts; a killed watcher is replaced and loses nothing', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const aside = join(temp.make('aside'), 'by-hand.jsonl');
    const byHand = rolloutOf(home, BY_HAND);
    renameSync(byHand, aside);

    const first = startWatcher(home);
    await first.next((c) => c.type === 'ready');

    // A turn appended to an active rollout: searchable and counted.
    const echo = rolloutOf(home, ECHO);
    const usageBefore = await withStore(home, (s) => s.usage.records(ECHO));
    appendTurn(echo, 'zebrafish');
    await first.next((c) => c.threadId === ECHO && (c.type === 'appended' || c.type === 'indexed'));
    expect(await searched(home, 'zebrafish')).toEqual([ECHO]);
    expect(await withStore(home, (s) => s.usage.records(ECHO))).toHaveLength(
      usageBefore.length + 1,
    );

    // Archived and unarchived by moving the file, as Codex does.
    const active = rolloutOf(home, ARCHIVED);
    mkdirSync(join(home, 'archived_sessions'), { recursive: true });
    const archivedPath = join(home, 'archived_sessions', active.split('/').at(-1)!);
    renameSync(active, archivedPath);
    await first.next((c) => c.threadId === ARCHIVED && c.path === archivedPath);
    expect((await withStore(home, (s) => s.threads.get(ARCHIVED)))?.archivedAt).not.toBeNull();
    renameSync(archivedPath, active);
    await first.next((c) => c.threadId === ARCHIVED && c.path === active);
    expect(await withStore(home, (s) => s.threads.get(ARCHIVED))).toMatchObject({
      archivedAt: null,
      rolloutPath: active,
    });

    // Compressed by `agent-state gc` in another process (cold rollouts, as Codex compresses them).
    const plain = rolloutOf(home, COMPRESSED);
    const gc = spawnSync(process.execPath, [BIN, '--home', home, 'gc', '--json'], {
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    expect(gc.status, gc.stderr).toBe(0);
    await first.next((c) => c.threadId === COMPRESSED && c.path === `${plain}.zst`);
    expect((await withStore(home, (s) => s.threads.get(COMPRESSED)))?.rolloutPath).toBe(
      `${plain}.zst`,
    );
    expect(await searched(home, 'zebrafish')).toEqual([ECHO]);

    // A rollout written by hand (its day folder now holds compressed files), and one deleted.
    renameSync(aside, byHand);
    await first.next((c) => c.threadId === BY_HAND && c.type === 'indexed');
    rmSync(rolloutOf(home, GONE));
    await first.next((c) => c.threadId === GONE && c.type === 'removed');
    await expect(withStore(home, (s) => s.threads.get(GONE))).resolves.toBeUndefined();

    // Killed: a turn written while no watcher runs is caught by the next one, which takes the
    // dead watcher's lease at once.
    first.child.kill('SIGKILL');
    await first.exited;
    appendTurn(echo, 'quagga');
    const second = startWatcher(home);
    await second.next((c) => c.type === 'ready');
    // Re-read right after the start-up rescan (said only if the row changed: here it may not).
    await eventually(async () => expect(await searched(home, 'quagga')).toEqual([ECHO]));

    // One watcher per home; a clean stop gives the lease back.
    const refused = spawnSync(process.execPath, [BIN, '--home', home, 'watch'], {
      encoding: 'utf8',
      timeout: WAIT_MS,
    });
    expect(refused.status).toBe(4);
    expect(refused.stderr).toMatch(/the watcher is held by another process \(pid \d+/);
    second.child.kill('SIGTERM');
    await expect(second.exited).resolves.toBe(0);
    const third = startWatcher(home);
    await third.next((c) => c.type === 'ready');
    third.child.kill('SIGTERM');
    await expect(third.exited).resolves.toBe(0);
  }, 180_000);
});

describe.skipIf(!postgresAvailable())('agent-state watch --sync (real processes)', () => {
  let server: TestPostgres | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** The threads of the shared store whose conversation holds `word`. */
  async function sharedHits(home: string, url: string, word: string): Promise<string[]> {
    const { json } = await runCliJson<SearchReport>([
      '--home',
      home,
      'search',
      word,
      '--store',
      url,
      '--json',
    ]);
    return json.hits.map((hit) => hit.thread.id);
  }

  it('pushes each change to the shared store, and what it could not push while the server was away once it is back', async () => {
    server = await startTestPostgres();
    const url = await server.createDatabase();
    const home = await backfilledHome(temp, 'v0.169.0');
    const watcher = startWatcher(home, ['--sync', url]);
    await watcher.next((c) => c.type === 'ready');
    // The first push: the whole home.
    const first = await watcher.next((c) => c.type === 'synced');
    expect(first.pushed).toBeGreaterThan(0);

    const echo = rolloutOf(home, ECHO);
    appendTurn(echo, 'xylophone');
    await eventually(async () => expect(await sharedHits(home, url, 'xylophone')).toEqual([ECHO]));

    // The server goes away: the change waits, and goes once the server is back and the home changes.
    await server.pause();
    appendTurn(echo, 'marimba');
    await watcher.next((c) => c.type === 'appended' && c.threadId === ECHO);
    await server.resume();
    appendTurn(echo, 'ocarina');
    await eventually(async () => {
      expect(await sharedHits(home, url, 'marimba')).toEqual([ECHO]);
      expect(await sharedHits(home, url, 'ocarina')).toEqual([ECHO]);
    });
    watcher.child.kill('SIGTERM');
    await expect(watcher.exited).resolves.toBe(0);
  }, 180_000);
});
