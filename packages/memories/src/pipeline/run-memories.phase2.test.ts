import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { LATER, pipelineHarnesses } from '../test-support/pipeline-harness.js';

const harnesses = pipelineHarnesses();
afterEach(() => harnesses.cleanup());

describe('phase 2', () => {
  it('with no stage-1 output left, rebuilds the inputs and succeeds without running the agent', async () => {
    const h = await harnesses.make();
    // The summary of a thread whose memory is gone, and a dirty lock with nothing to consolidate
    // (Codex's test `dispatch_with_dirty_job_and_no_stage1_outputs_skips_spawn…`).
    mkdirSync(join(h.root, 'rollout_summaries'), { recursive: true });
    const stale = join(h.root, 'rollout_summaries', '01a1fca2-0000-7000-8000-000000000001.md');
    writeFileSync(stale, 'thread_id: gone\n');
    await h.store.phase2Lock.enqueue(Math.floor(LATER / 1000));

    const result = await h.run({ phases: 'phase2' });
    expect(h.server.requests).toEqual([]);
    expect(result.phase2).toEqual({ outcome: 'consolidated', filesWritten: [] });
    expect(readFileSync(join(h.root, 'raw_memories.md'), 'utf8')).toBe(
      '# Raw Memories\n\nNo raw memories yet.\n',
    );
    expect(existsSync(stale)).toBe(false);
    expect((await h.store.memories.jobCounts()).phase2).toMatchObject({
      status: 'done',
      dirty: false,
      lastError: null,
    });
    expect((await h.run({ phases: 'phase2' })).phase2.outcome).toBe('not-dirty');
    expect(h.server.requests).toEqual([]);
  });
});
