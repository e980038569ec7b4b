import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { MockReply, MockRequest } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { forgetMemories } from '../forget/forget-memories.js';
import { REBUILD_MARKER_FILE, requestRebuild } from '../forget/rebuild-marker.js';
import { memoryFilesStatus } from '../layout/memory-files-status.js';
import { ELIGIBLE_THREADS, pipelineHarnesses } from '../test-support/pipeline-harness.js';

const harnesses = pipelineHarnesses();
afterEach(() => harnesses.cleanup());

/** Phase-1 answers that each carry their own marks: `summary-<n>` and `memory-<n>`. */
function numberedStage1() {
  let n = 0;
  return (): MockReply => {
    n += 1;
    return {
      kind: 'json',
      value: {
        rollout_summary: `Session summary-${n}.`,
        raw_memory: `- remembered memory-${n}`,
        rollout_slug: `slug-${n}`,
      },
    };
  };
}

/** The text of the function call outputs a phase-2 request carries back. */
function toolOutputs(request: MockRequest): string[] {
  if (!Array.isArray(request.input)) return [];
  return request.input
    .filter((item: unknown) => (item as { type?: unknown }).type === 'function_call_output')
    .map((item: unknown) => String((item as { output?: unknown }).output));
}

/**
 * A consolidation agent that reads `raw_memories.md`, then writes it whole into `MEMORY.md` (the
 * worst case for forgetting: the memory holds the evidence word for word) with a summary, then
 * stops; `memoryText` replaces what it writes into `MEMORY.md`.
 */
function copyingAgent(memoryText?: (raw: string) => string) {
  return (request: MockRequest): MockReply => {
    const outputs = toolOutputs(request);
    if (outputs.length === 0) {
      return {
        kind: 'function-calls',
        calls: [{ name: 'read_file', arguments: { path: 'raw_memories.md' } }],
      };
    }
    if (outputs.length === 1) {
      const raw = outputs[0] ?? '';
      return {
        kind: 'function-calls',
        calls: [
          {
            name: 'write_file',
            arguments: { path: 'MEMORY.md', content: memoryText ? memoryText(raw) : raw },
          },
          {
            name: 'write_file',
            arguments: { path: 'memory_summary.md', content: `summary of ${raw.length} chars\n` },
          },
          {
            name: 'write_file',
            arguments: { path: 'skills/recall/SKILL.md', content: `# Recall\n${raw}` },
          },
        ],
      };
    }
    return { kind: 'text', text: 'Done.' };
  };
}

/** Every file under `dir` with its text. */
function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const found: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push({ path, text: readFileSync(path, 'utf8') });
  }
  return found;
}

describe('forgetting', () => {
  it('removes a thread from the store and every file, and the next consolidation never sees it', async () => {
    const h = await harnesses.make();
    const stage1 = numberedStage1();
    h.setHandler((request) => (request.textFormat ? stage1() : copyingAgent()(request)));
    const first = await h.run();
    expect(first.phase1.succeeded).toBe(ELIGIBLE_THREADS);
    expect(first.phase2.outcome).toBe('consolidated');

    const outputs = await h.store.memories.listStage1Outputs({ limit: 100 });
    const [target, kept] = outputs;
    if (!target || !kept) throw new Error('expected two outputs');
    const marks = [target.rolloutSummary, target.rawMemory];
    const keptMark = kept.rawMemory;
    // The consolidated memory holds the target's memory word for word.
    expect(readFileSync(join(h.root, 'MEMORY.md'), 'utf8')).toContain(target.rawMemory);

    const forgotten = await forgetMemories({ store: h.store, threadIds: [target.threadId] });
    expect(forgotten).toMatchObject({
      threadIds: [target.threadId],
      outputs: 1,
      jobs: 1,
      consolidationQueued: true,
      rebuildRequested: true,
    });
    expect(forgotten.filesRemoved).toEqual([
      'MEMORY.md',
      'memory_summary.md',
      `rollout_summaries/${target.threadId}.md`,
      'skills/recall/SKILL.md',
    ]);
    expect(forgotten.filesRewritten).toEqual(['raw_memories.md']);

    // No file under the root and no row holds its summary or memory; the others' are still there.
    const files = filesUnder(h.root);
    for (const mark of marks) {
      expect(files.filter((file) => file.text.includes(mark)).map((f) => f.path)).toEqual([]);
    }
    expect(readFileSync(join(h.root, 'raw_memories.md'), 'utf8')).toContain(keptMark);
    const stored = await h.store.memories.listStage1Outputs({ limit: 100, includeDisabled: true });
    expect(stored.map((o) => o.threadId)).not.toContain(target.threadId);
    expect(stored).toHaveLength(ELIGIBLE_THREADS - 1);
    expect(await h.store.memories.jobCounts()).toMatchObject({
      disabledThreads: 1,
      phase2: { dirty: true },
    });
    expect(existsSync(join(h.root, REBUILD_MARKER_FILE))).toBe(true);

    // The next run rebuilds the memory; nothing it sends holds the forgotten thread.
    const before = h.server.requests.length;
    const second = await h.run();
    expect(second.phase1.claimed).toBe(0);
    expect(second.phase2.outcome).toBe('consolidated');
    const sent = h.server.requests.slice(before);
    expect(sent.length).toBeGreaterThan(1);
    const bodies = JSON.stringify(sent.map((request) => request.body));
    for (const mark of marks) expect(bodies).not.toContain(mark);
    expect(bodies).toContain(keptMark);
    expect(bodies).not.toContain(target.threadId);
    expect(readFileSync(join(h.root, 'MEMORY.md'), 'utf8')).toContain(keptMark);
    expect(existsSync(join(h.root, REBUILD_MARKER_FILE))).toBe(false);
    expect((await memoryFilesStatus(h.root)).rebuildRequested).toBe(false);
  });

  it('a rebuild that fails leaves no old outputs behind and is asked for again', async () => {
    const h = await harnesses.make();
    const stage1 = numberedStage1();
    h.setHandler((request) => (request.textFormat ? stage1() : copyingAgent()(request)));
    await h.run();
    // A forget that died after its request and store change, before removing the files (the
    // crash window): the old outputs are still there, with a pending rebuild.
    const [target] = await h.store.memories.listStage1Outputs({ limit: 1 });
    if (!target) throw new Error('expected an output');
    await h.store.memories.forget({ threadIds: [target.threadId] });
    await requestRebuild(h.root);
    expect(readFileSync(join(h.root, 'MEMORY.md'), 'utf8')).toContain(target.rawMemory);

    h.setHandler(() => ({ kind: 'error', status: 500, message: 'the model is down' }));
    const failed = await h.run({ phases: 'phase2' });
    expect(failed.phase2.outcome).toBe('failed');
    // Not the old outputs (which hold the forgotten thread): none, until a rebuild succeeds.
    expect(existsSync(join(h.root, 'MEMORY.md'))).toBe(false);
    expect(existsSync(join(h.root, 'skills', 'recall', 'SKILL.md'))).toBe(false);
    expect(existsSync(join(h.root, REBUILD_MARKER_FILE))).toBe(true);
  });

  it('changes nothing for an unknown thread, and keeps the memory when nothing was forgotten', async () => {
    const h = await harnesses.make();
    await h.run();
    const memory = readFileSync(join(h.root, 'MEMORY.md'), 'utf8');
    await expect(
      forgetMemories({ store: h.store, threadIds: ['01a1fca2-0000-7000-8000-00000000dead'] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(join(h.root, REBUILD_MARKER_FILE))).toBe(false);
    const none = await forgetMemories({ store: h.store, cwd: '/no/such/project' });
    expect(none).toMatchObject({ threadIds: [], outputs: 0, rebuildRequested: false });
    expect(none.filesRemoved).toEqual([]);
    expect(readFileSync(join(h.root, 'MEMORY.md'), 'utf8')).toBe(memory);
  });
});

describe('the cap on MEMORY.md', () => {
  it('fails a consolidation that writes MEMORY.md over the cap and puts the previous outputs back', async () => {
    const h = await harnesses.make({ maxMemoryBytes: 400 });
    h.setHandler((request) =>
      request.textFormat
        ? { kind: 'json', value: { rollout_summary: 'S.', raw_memory: '- m', rollout_slug: null } }
        : copyingAgent(() => '# Memory\n\n- short\n')(request),
    );
    expect((await h.run()).phase2.outcome).toBe('consolidated');
    const previous = {
      memory: readFileSync(join(h.root, 'MEMORY.md'), 'utf8'),
      summary: readFileSync(join(h.root, 'memory_summary.md'), 'utf8'),
      skill: readFileSync(join(h.root, 'skills/recall/SKILL.md'), 'utf8'),
    };

    // New input, and an agent that writes 1,000 bytes.
    const before = h.server.requests.length;
    h.setHandler(copyingAgent(() => 'x'.repeat(1_000)));
    await h.store.phase2Lock.enqueue(1);
    const result = await h.run({ phases: 'phase2' });
    expect(result.phase2.outcome).toBe('failed');
    expect(result.phase2.reason).toMatch(
      /MEMORY\.md of 1000 bytes, over the cap of 400 bytes .*max_memory_bytes/,
    );
    expect(result.phase2.filesWritten).toEqual([]);
    // The agent was told the limit.
    const prompt = JSON.stringify(h.server.requests[before]?.input);
    expect(prompt).toContain('MEMORY.md must stay under 400 bytes');
    expect(readFileSync(join(h.root, 'MEMORY.md'), 'utf8')).toBe(previous.memory);
    expect(readFileSync(join(h.root, 'memory_summary.md'), 'utf8')).toBe(previous.summary);
    expect(readFileSync(join(h.root, 'skills/recall/SKILL.md'), 'utf8')).toBe(previous.skill);
    expect((await h.store.memories.jobCounts()).phase2).toMatchObject({
      status: 'error',
      lastError: expect.stringContaining('over the cap of 400 bytes') as unknown,
    });
  });
});
