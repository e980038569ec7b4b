import type { MockReply } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ELIGIBLE_THREADS,
  REACHED,
  answerEverything,
  deferred,
  pipelineHarnesses,
} from '../test-support/pipeline-harness.js';

const harnesses = pipelineHarnesses();
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await harnesses.cleanup();
});

/** A reply the test never sends: released as `hang` at cleanup. */
function heldReply(): Promise<MockReply> {
  const reply = deferred<MockReply>();
  releases.push(() => reply.resolve({ kind: 'hang' }));
  return reply.promise;
}

describe('stopping a run (Ctrl-C)', () => {
  it('starts no new job and gives the interrupted ones back without using a retry', async () => {
    const h = await harnesses.make({ concurrency: 2 });
    h.setHandler((request) => (request.textFormat ? heldReply() : answerEverything(request)));
    const controller = new AbortController();
    const run = h.run({ signal: controller.signal });
    await vi.waitFor(() => expect(h.stage1Requests()).toHaveLength(2), REACHED);

    controller.abort(new Error('interrupted'));
    const result = await run;
    // Given back: no error, no backoff, nothing running, no other job started.
    expect((await h.store.memories.jobCounts()).stage1).toEqual({
      running: 0,
      pending: 2,
      done: 0,
      error: 0,
      exhausted: 0,
    });
    expect(h.stage1Requests()).toHaveLength(2);
    expect(result.phase1).toMatchObject({
      claimed: 2,
      interrupted: 2,
      failed: 0,
      succeeded: 0,
      lost: 0,
      failures: [],
    });
    expect(result.stopped).toBe(true);
    expect(result.phase2.outcome).toBe('skipped');

    // The next run, at the same clock time, takes every thread at once.
    h.setHandler(answerEverything);
    const next = await h.run();
    expect(next.stopped).toBe(false);
    expect(next.phase1).toMatchObject({ claimed: ELIGIBLE_THREADS, succeeded: ELIGIBLE_THREADS });
    expect(next.phase2.outcome).toBe('consolidated');
  });

  it('does nothing when stopped before it starts', async () => {
    const h = await harnesses.make();
    const result = await h.run({ signal: AbortSignal.abort() });
    expect(result).toMatchObject({ stopped: true, phase1: { claimed: 0 } });
    expect(result.phase2.outcome).toBe('skipped');
    expect(h.server.requests).toEqual([]);
  });

  it('gives the phase-2 lock back, still dirty, without a retry or a backoff', async () => {
    const h = await harnesses.make();
    expect((await h.run({ phases: 'phase1' })).phase1.succeeded).toBe(ELIGIBLE_THREADS);
    h.setHandler((request) => (request.textFormat ? answerEverything(request) : heldReply()));
    const controller = new AbortController();
    const run = h.run({ phases: 'phase2', signal: controller.signal });
    await vi.waitFor(() => expect(h.server.requests.length).toBe(ELIGIBLE_THREADS + 1), REACHED);

    controller.abort(new Error('interrupted'));
    const result = await run;
    expect((await h.store.memories.jobCounts()).phase2).toEqual({
      status: 'pending',
      dirty: true,
      leaseUntil: null,
      retryAt: null,
      lastError: null,
      holder: null,
    });
    expect(result.phase2).toMatchObject({ outcome: 'skipped', filesWritten: [] });
    expect(result.phase2.reason).toMatch(/stopped/);
    expect(result.stopped).toBe(true);

    h.setHandler(answerEverything);
    const next = await h.run({ phases: 'phase2' });
    expect(next.phase2).toMatchObject({ outcome: 'consolidated', filesWritten: ['MEMORY.md'] });
  });
});
