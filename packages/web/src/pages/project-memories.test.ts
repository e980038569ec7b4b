import {
  type AgentStateStore,
  type LogRecord,
  type ThreadMetadata,
  createLogger,
  openStateStore,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { formatUnixTime } from '../format/format-time.js';
import { type WebServer, startWebServer } from '../server/start-web-server.js';
import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { httpGet } from '../testing/http-get.js';
import { sharedFixtureStore } from '../testing/shared-fixture-store.js';
import { addStage1Memory } from '../testing/stage1-memory.js';
import { PROJECT_MEMORIES_LIMIT } from './project-memories.js';

// The v0.169.0 fixture home has three threads in /home/user/projects/repo-a (the echo thread and
// the summarize thread among them), three in repo-b and seven in plain-c.
const REPO_A = '/home/user/projects/repo-a';
const REPO_B = '/home/user/projects/repo-b';
const PLAIN_C = '/home/user/projects/plain-c';
/** The thread that asked to "Summarize the purpose of this repository in one sentence." */
const SUMMARIZE_THREAD_ID = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';
const T0 = 1_790_000_000;
const HOSTILE_SUMMARY =
  'Ran **echo hi**. <script>alert("memory")</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))';

const temp = tempDirs();
let home: string;
/** The plain-c threads in id order, each with a memory at `T0 + 60 * index`. */
let plainC: string[];
let repoB: string;
let server: WebServer;
/** Servers a test starts besides {@link server}, closed after it. */
const extra: WebServer[] = [];

beforeAll(async () => {
  home = await fixtureHome(temp);
  const store = await openStateStore({ home });
  try {
    const rows: ThreadMetadata[] = await store.threads.scan({ limit: 100 });
    const inCwd = (cwd: string) =>
      rows
        .filter((row) => row.cwd === cwd)
        .map((row) => row.id)
        .sort();
    plainC = inCwd(PLAIN_C);
    repoB = inCwd(REPO_B)[0]!;
    expect(plainC).toHaveLength(7);
    for (const [index, threadId] of plainC.entries()) {
      await addStage1Memory(store, {
        threadId,
        sourceUpdatedAt: T0 + 60 * index,
        rolloutSummary: `Summary of plain-c thread ${index}.`,
        rolloutSlug: `plain-c-${index}`,
      });
    }
    // The newest memory of plain-c, of a thread whose memory is disabled.
    await store.memories.setMemoryMode({ threadIds: [plainC[6]!], mode: 'disabled' });
    await addStage1Memory(store, {
      threadId: ECHO_THREAD_ID,
      sourceUpdatedAt: T0 + 1000,
      rolloutSummary: HOSTILE_SUMMARY,
      rolloutSlug: 'echo-hi',
    });
    await addStage1Memory(store, {
      threadId: SUMMARIZE_THREAD_ID,
      sourceUpdatedAt: T0 + 900,
      rolloutSummary: 'Summarized the repository.',
      rolloutSlug: null,
    });
  } finally {
    await store.close();
  }
  server = await startWebServer({ home, port: 0 });
});
afterEach(async () => {
  for (const other of extra.splice(0)) await other.close();
});
afterAll(async () => {
  await server?.close();
  temp.cleanup();
});

/** Another server, closed after the test. */
async function start(options: Parameters<typeof startWebServer>[0]): Promise<WebServer> {
  const started = await startWebServer({ port: 0, ...options });
  extra.push(started);
  return started;
}

/** The page of thread `id` from `on` (the home's server unless said). */
async function threadPage(id: string, on: WebServer = server): Promise<string> {
  const reply = await httpGet(`http://127.0.0.1:${on.port}/threads/${id}`, {
    headers: { host: `127.0.0.1:${on.port}` },
  });
  expect(reply.status).toBe(200);
  return reply.body;
}

/** The page's "Recent memories of this project" section, if any. */
function memoriesSection(page: string): string | undefined {
  return /<section class="project-memories"[\s\S]*?<\/section>/.exec(page)?.[0];
}

/** The thread ids the section links to, in its order. */
function linkedThreads(section: string): string[] {
  return [...section.matchAll(/<a href="\/threads\/([^"]+)"/g)].map((match) => match[1]!);
}

describe('the recent memories of a thread’s project', () => {
  it('shows the newest memories of the thread’s cwd, newest first, at most 5, each linking to its thread', async () => {
    const own = plainC[3]!;
    const section = memoriesSection(await threadPage(own));
    expect(section).toBeDefined();
    expect(section).toContain(
      '<h2 id="project-memories-title">Recent memories of this project</h2>',
    );
    expect(section).toContain(`<code>${PLAIN_C}</code>`);
    // plainC[6] is disabled; plainC[0] is the sixth newest.
    const shown = [5, 4, 3, 2, 1];
    expect(PROJECT_MEMORIES_LIMIT).toBe(5);
    expect(linkedThreads(section!)).toEqual(shown.map((index) => plainC[index]));
    expect(
      [...section!.matchAll(/<span class="memory-slug"><code>([^<]+)<\/code>/g)].map((m) => m[1]),
    ).toEqual(shown.map((index) => `plain-c-${index}`));
    for (const index of shown) {
      const time = formatUnixTime(T0 + 60 * index);
      expect(section).toContain(
        `<time datetime="${new Date((T0 + 60 * index) * 1000).toISOString()}">${time}</time>`,
      );
      expect(section).toContain(
        `<div class="text markdown"><p>Summary of plain-c thread ${index}.</p>`,
      );
    }
    // The page's own thread is marked, and only it.
    expect(section).toContain(`<a href="/threads/${own}" aria-current="page">${own}</a>`);
    expect(section!.match(/aria-current="page"/g)).toHaveLength(1);
    expect(section!.match(/class="memory memory-current"/g)).toHaveLength(1);
    expect(section!.match(/this thread<\/strong>/g)).toHaveLength(1);
    expect(section).not.toContain('plain-c-0');
  });

  it('leaves out the memory of a thread whose memory is disabled', async () => {
    const disabled = plainC[6]!;
    const store = await openStateStore({ home, readOnly: true, integrityCheck: false });
    try {
      const all = await store.memories.listStage1Outputs({
        limit: 10,
        cwd: PLAIN_C,
        includeDisabled: true,
      });
      expect(all.map((output) => output.threadId)).toContain(disabled);
    } finally {
      await store.close();
    }
    for (const id of [plainC[1]!, disabled]) {
      const section = memoriesSection(await threadPage(id))!;
      expect(linkedThreads(section)).toEqual([5, 4, 3, 2, 1].map((index) => plainC[index]));
      expect(section).not.toContain('plain-c-6');
    }
    // Not even on its own page, which shows its project's other memories, none of them marked.
    expect(memoriesSection(await threadPage(disabled))).not.toContain('aria-current');
  });

  it('shows no memory of another project', async () => {
    const echo = memoriesSection(await threadPage(ECHO_THREAD_ID))!;
    expect(linkedThreads(echo)).toEqual([ECHO_THREAD_ID, SUMMARIZE_THREAD_ID]);
    expect(echo).toContain(`<code>${REPO_A}</code>`);
    expect(echo).not.toContain('plain-c');
    const plain = memoriesSection(await threadPage(plainC[0]!))!;
    expect(plain).not.toContain('echo-hi');
    expect(linkedThreads(plain)).not.toContain(ECHO_THREAD_ID);
  });

  it('says there are none yet, and how to make them, for a project without memories', async () => {
    const page = await threadPage(repoB);
    const section = memoriesSection(page);
    expect(section).toContain('Recent memories of this project');
    expect(section).toContain(
      'No memories of this project yet (run <code>agent-state memories run</code>).',
    );
    expect(section).not.toContain('<ol');
    expect(page).toContain(REPO_B);
  });

  it('renders a summary’s Markdown safely: its HTML stays text, nothing runs', async () => {
    const page = await threadPage(ECHO_THREAD_ID);
    const section = memoriesSection(page)!;
    expect(section).toContain('Ran <strong>echo hi</strong>.');
    expect(section).toContain('&lt;script&gt;alert("memory")&lt;/script&gt;');
    expect(section).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(section).not.toMatch(/<script|<img|javascript:/i);
    expect(page).not.toContain('<script>alert');
    // The memory without a slug shows its time and thread all the same.
    expect(section).toContain(`<a href="/threads/${SUMMARIZE_THREAD_ID}">`);
  });

  it('shows nothing of memories without a store, and a notice (logged) when the store fails to answer', async () => {
    const bare = await start({ home: await fixtureHome(temp, { backfill: false }) });
    const without = await threadPage(ECHO_THREAD_ID, bare);
    expect(without).toContain('echo hi');
    expect(memoriesSection(without)).toBeUndefined();

    const records: LogRecord[] = [];
    const inner = await openStateStore({ home, readOnly: true, integrityCheck: false });
    try {
      const failing = failingMemories(inner);
      const broken = await start({
        home,
        store: failing,
        logger: createLogger((record) => records.push(record)),
      });
      const page = await threadPage(ECHO_THREAD_ID, broken);
      expect(page).toContain('$ echo hi');
      const section = memoriesSection(page);
      expect(section).toContain('<div class="notice" role="note">');
      expect(section).toContain('The memories of this project cannot be read:');
      expect(section).toContain('the memories table is on fire');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        level: 'warn',
        message: 'the memories of a project could not be read',
        fields: { target: 'agent_state::web', cwd: REPO_A },
      });
      expect(records[0]?.fields.error).toContain('the memories table is on fire');
    } finally {
      for (const other of extra.splice(0)) await other.close();
      await inner.close();
    }
  });

  it('shows them on the page of a shared store’s thread of another machine too', async () => {
    const { store, shared } = await sharedFixtureStore(home, [ECHO_THREAD_ID]);
    try {
      const over = await start({ home, store, shared });
      const page = await threadPage(SUMMARIZE_THREAD_ID, over);
      expect(page).toContain('The full transcript is on laptop-b');
      const section = memoriesSection(page)!;
      expect(linkedThreads(section)).toEqual([ECHO_THREAD_ID, SUMMARIZE_THREAD_ID]);
      expect(section).toContain(
        `<a href="/threads/${SUMMARIZE_THREAD_ID}" aria-current="page">${SUMMARIZE_THREAD_ID}</a>`,
      );
      // The served home's thread, read from its rollout, over the same store.
      const echo = memoriesSection(await threadPage(ECHO_THREAD_ID, over))!;
      expect(echo).toContain('echo-hi');
    } finally {
      for (const other of extra.splice(0)) await other.close();
      await store.close();
    }
  });
});

/** `store` whose `memories.listStage1Outputs` rejects, the rest of it working. */
function failingMemories(store: AgentStateStore): AgentStateStore {
  const memories = new Proxy(store.memories, {
    get(target, name) {
      if (name === 'listStage1Outputs') {
        return () => Promise.reject(new Error('the memories table is on fire'));
      }
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return new Proxy(store, {
    get(target, name) {
      if (name === 'memories') return memories;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}
