import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { runBackfill } from '@agent-state/rollout';
import { ManualClock, openStateStore } from '@agent-state/state';
import {
  type MockReply,
  type MockRequest,
  type MockResponsesServer,
  copyCodexHome,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { rebuildPhase1Artifacts } from '../artifacts/phase1-artifacts.js';
import { memoriesRoot } from '../layout/memory-layout.js';
import { createModelClient, resolveMemoriesModelConfig } from '../model/model-config.js';
import { runMemories } from './run-memories.js';

const temp = tempDirs();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  temp.cleanup();
});

// The fixture threads were last written on 2026-11-21 around 05:44 UTC: 13 hours later they are
// idle enough for phase 1 and well within its 30-day window.
const LATER = Date.parse('2026-11-21T19:00:00Z');
const ALL_SOURCES = ['cli', 'vscode', 'exec'];
const SECRET = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd';

async function setup(handler: (request: MockRequest) => MockReply | undefined) {
  const home = copyCodexHome('v0.169.0', temp.make('home'));
  const store = await openStateStore({ home, clock: new ManualClock(LATER) });
  const server = await startMockResponsesServer({ handler });
  cleanups.push(async () => {
    await store.close();
    await server.close();
  });
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  const config = resolveMemoriesModelConfig({
    options: { baseUrl: server.url, model: 'mock-model', maxRetries: 0, timeoutMs: 5_000 },
    env: {},
  });
  const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
  const run = (extra: Partial<Parameters<typeof runMemories>[0]> = {}) =>
    runMemories({ store, client, config, allowedSources: ALL_SOURCES, ...extra });
  return { home, store, server, run, root: memoriesRoot(home) };
}

/** A phase-1 answer per thread (from the request text), and a short scripted phase-2 agent. */
function modelScript(server: () => MockResponsesServer) {
  let phase2Turns = 0;
  return (request: MockRequest): MockReply | undefined => {
    if (request.textFormat) {
      const text = JSON.stringify(request.input);
      const n = server().requests.filter((r) => r.textFormat).length;
      if (n === 1) {
        // An older model answering with the legacy keys, and a secret to redact.
        return {
          kind: 'text',
          text: `Here you go:\n\`\`\`json\n${JSON.stringify({ summary: `Summary ${n} with key ${SECRET}`, rawMemory: `- remember ${n}` })}\n\`\`\``,
        };
      }
      return {
        kind: 'json',
        value: {
          rollout_summary: `Summary ${n}: ${text.includes('multi-line') ? 'multi-line prompt' : 'a session'}`,
          raw_memory: `- memory ${n}; token ghp_abcdefghijklmnopqrstuvwxyz0123456789 must not survive`,
          rollout_slug: `Session ${n}`,
        },
      };
    }
    phase2Turns += 1;
    if (phase2Turns === 1) {
      return {
        kind: 'function-calls',
        calls: [
          { name: 'read_file', arguments: { path: 'raw_memories.md' } },
          {
            name: 'write_file',
            arguments: {
              path: 'MEMORY.md',
              content: '# Memory\n\n- the user runs shell commands through Codex\n',
            },
          },
          {
            name: 'write_file',
            arguments: {
              path: 'memory_summary.md',
              content: 'The user works in repo-a and repo-b.\n',
            },
          },
          { name: 'write_file', arguments: { path: '../escape.md', content: 'nope' } },
        ],
      };
    }
    return { kind: 'text', text: 'Memories consolidated.' };
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('the memories pipeline against a mock Responses API', () => {
  it('extracts every eligible thread, consolidates once, and makes no request when nothing changed', async () => {
    const holder: { server?: MockResponsesServer } = {};
    const env = await setup(modelScript(() => holder.server!));
    holder.server = env.server;
    const { run, root, store, home, server } = env;
    // What a consolidation killed mid-write leaves: a temporary file, swept under the lock.
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, '.MEMORY.md.0123456789ab.tmp'), '# half');
    writeFileSync(join(root, 'notes.tmp'), 'not ours');

    const first = await run();
    expect(existsSync(join(root, '.MEMORY.md.0123456789ab.tmp'))).toBe(false);
    expect(readFileSync(join(root, 'notes.tmp'), 'utf8')).toBe('not ours');
    // 11 threads have a first user message in this home; 2 of them are archived (never read).
    expect(first.phase1).toMatchObject({ claimed: 9, succeeded: 9, failed: 0, noOutput: 0 });
    expect(first.phase2).toMatchObject({ outcome: 'consolidated' });
    expect(first.phase2.filesWritten.sort()).toEqual(['MEMORY.md', 'memory_summary.md']);

    const outputs = await store.memories.listStage1Outputs({ limit: 100 });
    expect(outputs).toHaveLength(9);
    expect(filesUnder(join(root, 'rollout_summaries'))).toEqual(
      outputs.map((o) => `${o.threadId}.md`).sort(),
    );
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toContain('shell commands');
    expect(existsSync(join(home, 'escape.md'))).toBe(false);
    // The legacy answer was understood; the secrets never reached the store or the disk.
    expect(outputs.some((o) => o.rawMemory === '- remember 1')).toBe(true);
    const everything = [
      ...outputs.flatMap((o) => [o.rawMemory, o.rolloutSummary, o.rolloutSlug ?? '']),
      ...filesUnder(root)
        .filter((f) => f.endsWith('.md'))
        .map((f) => readFileSync(join(root, f), 'utf8')),
    ].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(everything).toContain('[REDACTED]');

    // The phase-1 artifacts are a pure function of the store: rebuilt, they are byte-identical.
    const before = Object.fromEntries(
      [
        'raw_memories.md',
        ...filesUnder(join(root, 'rollout_summaries')).map((f) => `rollout_summaries/${f}`),
      ].map((f) => [f, readFileSync(join(root, f))]),
    );
    rmSync(join(root, 'rollout_summaries'), { recursive: true });
    rmSync(join(root, 'raw_memories.md'));
    await rebuildPhase1Artifacts({ root, outputs });
    for (const [file, bytes] of Object.entries(before))
      expect(readFileSync(join(root, file)).equals(bytes), file).toBe(true);

    // Nothing new: no model request at all.
    const requests = server.requests.length;
    const second = await run();
    expect(second.phase1.claimed).toBe(0);
    expect(second.phase2.outcome).toBe('not-dirty');
    expect(server.requests.length).toBe(requests);
  });

  const failureModes: Array<[string, MockReply, RegExp]> = [
    ['an HTTP 500', { kind: 'error', status: 500 }, /HTTP 500/],
    ['a 429', { kind: 'error', status: 429 }, /HTTP 429/],
    ['malformed JSON', { kind: 'malformed' }, /./],
    ['a cut connection', { kind: 'cut' }, /./],
    ['an answer that is not the schema', { kind: 'text', text: 'I cannot help with that.' }, /./],
  ];
  it.each(failureModes)(
    'ends every job as failed with a reason on %s, and writes nothing half-done',
    async (_name, reply, reason) => {
      const { run, root, store } = await setup(() => reply);
      const result = await run({ maxThreads: 3 });
      expect(result.phase1).toMatchObject({ claimed: 3, succeeded: 0, failed: 3 });
      for (const failure of result.phase1.failures) expect(failure.reason).toMatch(reason);
      expect(result.phase2.outcome).toBe('not-dirty');
      expect(await store.memories.listStage1Outputs({ limit: 10 })).toEqual([]);
      const counts = await store.memories.jobCounts();
      expect(counts.stage1.error).toBe(3);
      expect(existsSync(join(root, 'MEMORY.md'))).toBe(false);
      expect(existsSync(join(root, 'raw_memories.md'))).toBe(false);
    },
  );
});
