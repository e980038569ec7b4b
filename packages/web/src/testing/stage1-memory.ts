import type { AgentStateStore } from '@agent-state/state';

/** A memory to store for a thread, as phase 1 would have extracted it. */
export interface TestMemory {
  threadId: string;
  /** The thread's `updatedAt` the memory is said to be extracted from (orders the listing). */
  sourceUpdatedAt: number;
  rolloutSummary: string;
  rolloutSlug?: string | null | undefined;
}

/**
 * Stores a stage-1 output for an existing thread through the store API, as phase 1 does: claims
 * the thread's job, then finishes it with the memory. Throws when the job cannot be claimed (a
 * memory at least as new is stored already).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * await addStage1Memory(store, {
 *   threadId,
 *   sourceUpdatedAt: 1_790_000_000,
 *   rolloutSummary: 'Fixed the flaky test.',
 *   rolloutSlug: 'fix-flaky-test',
 * });
 * await store.close();
 * ```
 */
export async function addStage1Memory(store: AgentStateStore, memory: TestMemory): Promise<void> {
  const { threadId, sourceUpdatedAt } = memory;
  const claim = await store.stage1Jobs.tryClaim({
    threadId,
    workerId: 'web-test',
    sourceUpdatedAt,
    leaseSeconds: 3600,
    maxRunning: 64,
  });
  if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);
  const stored = await store.stage1Jobs.markSucceeded({
    threadId,
    ownershipToken: claim.ownershipToken,
    sourceUpdatedAt,
    rawMemory: `raw memory of ${threadId}`,
    rolloutSummary: memory.rolloutSummary,
    rolloutSlug: memory.rolloutSlug,
  });
  if (!stored) throw new Error(`the memory of ${threadId} was not stored`);
}
