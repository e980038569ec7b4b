import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { stateDbPath } from '../paths/home.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { type ThreadMetadata, buildThreadMetadata } from './thread-metadata.js';

const temp = tempDirs();
let store: StateStore;
let home: string;

beforeEach(async () => {
  home = temp.make('home');
  store = await openStateStore({ home });
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

function idOf(n: number): string {
  return `01a1fca2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

function thread(n: number, overrides: Partial<ThreadMetadata> = {}): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      {
        id: idOf(n),
        rolloutPath: `/home/user/.codex/sessions/rollout-${n}.jsonl`,
        createdAt: 1_700_000_000 + n,
        source: 'cli',
      },
      { defaultProvider: 'openai' },
    ),
    title: `thread ${n}`,
    firstUserMessage: `thread ${n}`,
    ...overrides,
  };
}

// The portable behaviour of `store.threads` is the store contract's (`describeStoreContract` of
// @agent-state/test-utils, run in store/store-contract.test.ts); these are the SQLite store's own.
describe('threads (SQLite)', () => {
  it('an upsert leaves has_user_event and stores a missing first user message as empty', async () => {
    await store.threads.upsert(thread(1, { gitBranch: 'main', tokensUsed: 10 }));
    await store.threads.upsert(thread(1, { firstUserMessage: null }));
    const raw = new Database(stateDbPath(home), { readonly: true });
    expect(
      raw.prepare('SELECT has_user_event, archived, first_user_message FROM threads').get(),
    ).toEqual({
      has_user_event: 0,
      archived: 0,
      first_user_message: '',
    });
    raw.close();
  });

  it('delete cascades to dynamic tools and stage-1 outputs (foreign keys on)', async () => {
    await store.threads.upsertMany([thread(1), thread(2)]);
    await store.dynamicTools.persist(idOf(1), [{ name: 'a', description: 'b', inputSchema: {} }]);
    await store.dynamicTools.persist(idOf(2), [{ name: 'a', description: 'b', inputSchema: {} }]);
    const raw = new Database(stateDbPath(home));
    const insertOutput = raw.prepare(
      "INSERT INTO stage1_outputs (thread_id, source_updated_at, raw_memory, rollout_summary, generated_at) VALUES (?, 1, 'raw', 'sum', 2)",
    );
    insertOutput.run(idOf(1));
    insertOutput.run(idOf(2));

    expect(await store.threads.delete(idOf(1))).toBe(true);
    expect(await store.threads.delete(idOf(1))).toBe(false);

    const count = (table: string) =>
      raw.prepare(`SELECT thread_id FROM ${table} ORDER BY thread_id`).pluck().all();
    expect(count('thread_dynamic_tools')).toEqual([idOf(2)]);
    expect(count('stage1_outputs')).toEqual([idOf(2)]);
    expect(await store.dynamicTools.get(idOf(1))).toBeNull();
    raw.close();
  });

  it('uses indexes for the listing, source-kind and sub-agent queries, not table scans', async () => {
    await store.threads.upsertMany(Array.from({ length: 50 }, (_, n) => thread(n)));
    const raw = new Database(stateDbPath(home), { readonly: true });
    const plan = (sql: string, ...params: unknown[]) =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join(' | ');
    const base = "SELECT id FROM threads WHERE archived = 0 AND first_user_message <> ''";
    const created = plan(
      `${base} AND (created_at, id) < (1700000010, 'z') ORDER BY created_at DESC, id DESC LIMIT 26`,
    );
    expect(created).toContain('idx_threads_archived_created_at');
    expect(created).not.toContain('TEMP B-TREE');
    const byCwd = plan(`${base} AND cwd IN ('/a') ORDER BY updated_at DESC, id DESC LIMIT 26`);
    expect(byCwd).toContain('idx_threads_archived_cwd_updated_at');
    expect(
      plan(
        `SELECT id FROM threads WHERE archived = 0 AND source >= '{"subagent":' AND source < '{"subagent";'`,
      ),
    ).toContain('idx_threads_archived_source');
    const subAgents = plan(
      `SELECT id FROM threads WHERE parent_thread_id = ? ORDER BY created_at, id LIMIT 100`,
      idOf(1),
    );
    expect(subAgents).toContain('idx_threads_parent_thread_id');
    expect(subAgents).not.toContain('TEMP B-TREE');
    raw.close();
  });
});
