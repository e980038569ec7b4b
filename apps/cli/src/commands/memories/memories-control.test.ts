import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type MockResponsesServer,
  copyCodexHome,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { mockMemoriesRunFlags, runCli } from '../../cli-harness.js';

const temp = tempDirs();
const env = { OPENAI_API_KEY: 'test' };
let server: MockResponsesServer;
let home: string;

/** `agent-state --home <home> memories …`, with the API key. */
function memories(...args: string[]) {
  return runCli(['--home', home, 'memories', ...args], captureIo({ env }));
}

/** Runs both phases against the mock server (every fixture thread eligible). */
function run(...extra: string[]) {
  return memories('run', ...mockMemoriesRunFlags(server.url), ...extra);
}

/** The stage-1 outputs of `cwd`, newest first, read from the store's file with SQL. */
function queried(cwd: string, limit: number): string[] {
  const db = new Database(join(home, 'agent_state_1.sqlite'), { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT so.thread_id AS id FROM stage1_outputs so JOIN threads t ON t.id = so.thread_id
         WHERE t.cwd = ? ORDER BY so.source_updated_at DESC, so.thread_id DESC LIMIT ?`,
      )
      .all(cwd, limit) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  } finally {
    db.close();
  }
}

let n = 0;
beforeAll(async () => {
  server = await startMockResponsesServer({
    handler: (request) => {
      if (request.textFormat) {
        n += 1;
        return {
          kind: 'json',
          value: {
            rollout_summary: `Session summary-${n}.`,
            raw_memory: `- remembered memory-${n}`,
            rollout_slug: `slug-${n}`,
          },
        };
      }
      const replied =
        Array.isArray(request.input) &&
        request.input.some(
          (item: unknown) => (item as { type?: unknown }).type === 'function_call_output',
        );
      return replied
        ? { kind: 'text', text: 'Done.' }
        : {
            kind: 'function-calls',
            calls: [
              { name: 'write_file', arguments: { path: 'MEMORY.md', content: '# Memory\n' } },
            ],
          };
    },
  });
  home = copyCodexHome('v0.100.0', temp.make('home'));
  expect((await runCli(['--home', home, 'backfill'], captureIo({ env }))).exitCode).toBe(0);
  const first = await run('--json');
  expect(first.exitCode).toBe(0);
  expect(JSON.parse(first.stdout)).toMatchObject({ phase1: { succeeded: 9 } });
});
afterAll(async () => {
  await server.close();
  temp.cleanup();
});

/** The cwd with the most memories, and all of them as `memories list --json` gives them. */
async function busiestCwd(): Promise<{ cwd: string; count: number }> {
  const all = JSON.parse((await memories('list', '--limit', '100', '--json')).stdout) as {
    memories: Array<{ cwd: string }>;
  };
  const counts = new Map<string, number>();
  for (const memory of all.memories) counts.set(memory.cwd, (counts.get(memory.cwd) ?? 0) + 1);
  const [cwd, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return { cwd, count };
}

describe('agent-state memories list, enable, disable, forget', () => {
  it('list --cwd equals a query of the store: that cwd, newest first, the limit kept', async () => {
    const { cwd, count } = await busiestCwd();
    expect(count).toBeGreaterThan(1);
    for (const limit of [1, count - 1, 20]) {
      const listed = await memories('list', '--cwd', cwd, '--limit', String(limit), '--json');
      expect(listed.exitCode).toBe(0);
      const report = JSON.parse(listed.stdout) as {
        cwd: string;
        memories: Array<{ threadId: string; cwd: string; memoryMode: string }>;
      };
      expect(report.cwd).toBe(cwd);
      expect(report.memories.map((m) => m.threadId)).toEqual(queried(cwd, limit));
      expect(report.memories.every((m) => m.cwd === cwd && m.memoryMode === 'enabled')).toBe(true);
    }
    const text = await memories('list', '--cwd', cwd, '--limit', '1');
    const [head, summary] = text.stdout.split('\n');
    expect(head).toContain(queried(cwd, 1)[0]);
    expect(head).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d {2}\S+ {2}slug_\d+$/);
    expect(summary).toMatch(/^ {2}Session summary-\d+\.$/);
    const none = await memories('list', '--cwd', join(home, 'nowhere'));
    expect(none.stdout).toBe(`no memories of threads in ${join(home, 'nowhere')}\n`);
  });

  it('disable and enable by cwd or id; status counts the disabled threads', async () => {
    const { cwd, count } = await busiestCwd();
    const disabled = await memories('disable', '--cwd', cwd, '--json');
    expect(disabled.exitCode).toBe(0);
    const change = JSON.parse(disabled.stdout) as { mode: string; threadIds: string[] };
    expect(change.mode).toBe('disabled');
    expect(change.threadIds.length).toBeGreaterThanOrEqual(count);
    const status = JSON.parse((await memories('status', '--json')).stdout) as {
      disabledThreads: number;
    };
    expect(status.disabledThreads).toBe(change.threadIds.length);
    expect((await memories('status')).stdout).toContain(
      `disabled threads  ${change.threadIds.length} (never extracted)`,
    );
    const listed = await memories('list', '--cwd', cwd);
    expect(listed.stdout).toContain('(disabled)');

    const [first] = change.threadIds;
    const enabled = await memories('enable', first ?? '');
    expect(enabled.stdout).toBe('memories enabled for 1 thread\n');
    const again = await memories('enable', '--cwd', cwd);
    expect(again.stdout).toBe(
      `memories enabled for the ${change.threadIds.length} threads of ${cwd} (1 was enabled already)\n`,
    );
    expect(JSON.parse((await memories('status', '--json')).stdout)).toMatchObject({
      disabledThreads: 0,
    });
  });

  it('refuses ids with --cwd, neither, an unknown id (exit 3) and a bad cap (exit 2)', async () => {
    const both = await memories('disable', '01a1fca2-0000-7000-8000-000000000001', '--cwd', '/x');
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--cwd');
    expect((await memories('enable')).exitCode).toBe(2);
    const unknown = await memories('forget', '01a1fca2-0000-7000-8000-00000000dead', '--yes');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toContain('01a1fca2-0000-7000-8000-00000000dead');
    const capped = await run('--max-memory-bytes', '0');
    expect(capped.exitCode).toBe(2);
    expect(capped.stderr).toContain('--max-memory-bytes');
  });

  it('forget asks first (no terminal: exit 2), then removes the memory everywhere', async () => {
    const { cwd } = await busiestCwd();
    const [target] = queried(cwd, 1);
    if (!target) throw new Error('no memory to forget');
    const summaryFile = join(home, 'memories', 'rollout_summaries', `${target}.md`);
    const summary = readFileSync(summaryFile, 'utf8').split('\n').at(-2) ?? '';
    expect(summary).toMatch(/^Session summary-\d+\.$/);

    const unasked = await memories('forget', target);
    expect(unasked.exitCode).toBe(2);
    expect(unasked.stderr).toContain('--yes');
    expect(existsSync(summaryFile)).toBe(true);

    const forgotten = await memories('forget', target, '--yes', '--json');
    expect(forgotten.exitCode).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toMatchObject({
      forgotten: true,
      threadIds: [target],
      outputs: 1,
      filesRemoved: ['MEMORY.md', `rollout_summaries/${target}.md`],
      filesRewritten: ['raw_memories.md'],
      rebuildRequested: true,
    });
    expect(existsSync(summaryFile)).toBe(false);
    expect(readFileSync(join(home, 'memories', 'raw_memories.md'), 'utf8')).not.toContain(
      summary.replace('summary', 'memory'),
    );
    expect(queried(cwd, 100)).not.toContain(target);
    const status = await memories('status');
    expect(status.stdout).toContain('MEMORY.md         none yet');
    expect(status.stdout).toContain('rebuilt by the next consolidation');

    // The next run extracts nothing new (the thread is disabled) and rebuilds the memory.
    const next = await run('--json');
    expect(JSON.parse(next.stdout)).toMatchObject({
      phase1: { claimed: 0 },
      phase2: { outcome: 'consolidated', filesWritten: ['MEMORY.md'] },
    });
    const doctor = await runCli(['--home', home, 'doctor', '--json'], captureIo({ env }));
    expect(JSON.parse(doctor.stdout)).toMatchObject({
      memoryFiles: { memoryBytes: 9, rebuildRequested: false, skills: 0 },
    });
    expect((await runCli(['--home', home, 'doctor'], captureIo({ env }))).stdout).toMatch(
      /memory files\s+MEMORY\.md 9 B, memory_summary\.md none, raw_memories\.md \d/,
    );
  });
});
