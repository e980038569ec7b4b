import { mkdirSync } from 'node:fs';

import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { AGENT_STATE_APPLICATION_ID } from '../paths/generations.js';
import { stateDbPath } from '../paths/home.js';
import { migrate } from '../sqlite/migrator.js';
import { STATE_MIGRATIONS } from './state-migrations.js';
import { openStateStore } from './state-store.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A new home whose state database has every migration before `name`, open. */
function databaseBefore(name: string): { home: string; db: Database.Database } {
  const home = temp.make('home');
  mkdirSync(home, { recursive: true });
  const db = new Database(stateDbPath(home));
  migrate(db, {
    path: stateDbPath(home),
    applicationId: AGENT_STATE_APPLICATION_ID,
    migrations: STATE_MIGRATIONS.filter((m) => m.name < name),
  });
  return { home, db };
}

const PARENT = '01a249b9-5eba-7de0-b66b-0557cb848718';
const CHILD = '01a249b9-5f2b-71f1-a37d-01aa2bd12098';
const SPAWN_SOURCE = `{"subagent":{"thread_spawn":{"parent_thread_id":"${PARENT.toUpperCase()}","depth":1,"agent_path":null,"agent_nickname":"Peirce","agent_role":"explorer"}}}`;

describe('0003_thread_subagent_columns', () => {
  it('adds the sub-agent and fork columns and fills what an older row’s source tells', async () => {
    const { home, db } = databaseBefore('0003_thread_subagent_columns');
    const insert = db.prepare(
      `INSERT INTO threads (id, rollout_path, created_at, updated_at, source, model_provider, cwd,
         title, sandbox_policy, approval_mode, first_user_message)
       VALUES (?, ?, 1796533215, 1796533215, ?, 'mock', '/app', 't', '{}', 'never', 't')`,
    );
    insert.run(PARENT, '/r/parent.jsonl', 'vscode');
    insert.run(CHILD, '/r/child.jsonl', SPAWN_SOURCE);
    insert.run(
      '01a249b9-0000-7000-8000-000000000001',
      '/r/bad.jsonl',
      '{"subagent":{"thread_spawn":',
    );
    db.close();

    const store = await openStateStore({ home });
    try {
      expect(await store.threads.get(CHILD)).toMatchObject({
        source: SPAWN_SOURCE,
        parentThreadId: PARENT,
        agentNickname: 'Peirce',
        agentRole: 'explorer',
        threadSource: null,
        forkedFromId: null,
      });
      expect(await store.threads.get(PARENT)).toMatchObject({
        parentThreadId: null,
        agentNickname: null,
      });
      expect((await store.threads.listSubAgents(PARENT)).map((t) => t.id)).toEqual([CHILD]);
    } finally {
      await store.close();
    }
  });
});

describe('0005_backfill_generation', () => {
  it('a backfill completed before it counts as generation 1, and stays complete for such callers', async () => {
    const { home, db } = databaseBefore('0005_backfill_generation');
    db.prepare(
      `INSERT INTO backfill_state (id, status, last_watermark, last_success_at, updated_at)
       VALUES (1, 'complete', 'sessions/2026/11/21/rollout-z.jsonl', 1795239900, 1795239900)`,
    ).run();
    db.close();

    const store = await openStateStore({ home });
    try {
      expect(await store.backfill.get()).toMatchObject({ status: 'complete', generation: 1 });
      expect(await store.backfill.tryClaim({ leaseSeconds: 60 })).toEqual({ outcome: 'complete' });
      const claim = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 2 });
      expect(claim).toMatchObject({
        outcome: 'claimed',
        from: { status: 'complete', generation: 1 },
      });
    } finally {
      await store.close();
    }
  });
});

describe('0009_thread_changes', () => {
  it('starts the change feed with the threads already stored, in id order, under a new feed id', async () => {
    const { home, db } = databaseBefore('0009_thread_changes');
    const insert = db.prepare(
      `INSERT INTO threads (id, rollout_path, created_at, updated_at, source, model_provider, cwd,
         title, sandbox_policy, approval_mode, first_user_message)
       VALUES (?, ?, 1796533215, 1796533215, 'cli', 'mock', '/app', 't', '{}', 'never', 't')`,
    );
    insert.run(CHILD, '/r/child.jsonl');
    insert.run(PARENT, '/r/parent.jsonl');
    db.close();

    const store = await openStateStore({ home });
    try {
      expect(await store.changes.since({ afterSeq: 0, limit: 10 })).toEqual([
        { threadId: PARENT, seq: 1 },
        { threadId: CHILD, seq: 2 },
      ]);
      expect(await store.changes.head()).toBe(2);
      expect(await store.changes.feedId()).toMatch(/^[0-9a-f]{32}$/u);
      // Its triggers sit on no table the indexer writes after the FTS5 table in a transaction
      // (a trigger there makes FTS5 flush thread by thread: see the migration).
      const raw = new Database(stateDbPath(home), { readonly: true });
      const triggers = raw
        .prepare(
          "SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%_change' ORDER BY 1",
        )
        .pluck()
        .all();
      raw.close();
      expect(triggers).toEqual(['thread_dynamic_tools', 'threads']);
      // From now on, every write feeds it.
      expect(await store.threads.delete(PARENT)).toBe(true);
      expect(await store.changes.since({ afterSeq: 2, limit: 10 })).toEqual([
        { threadId: PARENT, seq: 3 },
      ]);
    } finally {
      await store.close();
    }
  });
});
