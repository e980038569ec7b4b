// The three leases of the store as lease-takeover.bench.ts and its child process take them: the
// backfill lease, a stage-1 job and the phase-2 lock, each with the lease length its production
// caller uses, on a home seeded so that each is there to claim.
import { buildThreadMetadata, openStateStore, type StateStore } from '../src/index.js';

/** The three leases of the store. */
export type LeaseKind = 'backfill' | 'stage1' | 'phase2';

/** Every lease kind, in report order. */
export const LEASE_KINDS: readonly LeaseKind[] = ['backfill', 'stage1', 'phase2'];

/**
 * Lease length of each kind as its production caller claims it, seconds: `runBackfill`'s default
 * `leaseSeconds` (@agent-state/rollout), `MEMORIES_DEFAULTS.stage1LeaseSeconds` and
 * `.phase2LeaseSeconds` (@agent-state/memories). Copied here: those packages depend on this one.
 */
export const OUR_LEASE_SECONDS: Readonly<Record<LeaseKind, number>> = {
  backfill: 120,
  stage1: 3_600,
  phase2: 3_600,
};

/**
 * How long Codex lets the lease of a dead holder block the others, seconds: a running backfill
 * is taken over once `updated_at <= now - BACKFILL_LEASE_SECONDS` (900), a stage-1 job or the
 * phase-2 lock once its `lease_until` (claim + `PHASE_ONE_JOB_LEASE_SECONDS` /
 * `PHASE_TWO_JOB_LEASE_SECONDS`, 3,600) has passed (see the reference's codex-state-db.md).
 */
export const CODEX_LEASE_SECONDS: Readonly<Record<LeaseKind, number>> = {
  backfill: 900,
  stage1: 3_600,
  phase2: 3_600,
};

/** The thread whose stage-1 job is claimed. */
const THREAD_ID = '01a1fca2-0000-7000-8000-000000000001';
/** Its `updatedAt`, unix seconds (the stage-1 job's input watermark). */
const SOURCE_UPDATED_AT = 1_770_000_000;

/**
 * Seeds `home` so that each lease can be claimed: one idle thread (its stage-1 job) and a dirty
 * phase-2 job; the backfill is pending in any new store.
 */
export async function seedLeaseHome(home: string): Promise<void> {
  const store = await openStateStore({ home });
  try {
    await store.threads.upsert({
      ...buildThreadMetadata(
        { id: THREAD_ID, rolloutPath: '/r/1.jsonl', createdAt: SOURCE_UPDATED_AT, source: 'cli' },
        { defaultProvider: 'openai' },
      ),
      firstUserMessage: 'hello',
    });
    await store.phase2Lock.enqueue(100);
  } finally {
    await store.close();
  }
}

/** Options of {@link tryClaimLease}. */
export interface TryClaimLeaseOptions {
  store: StateStore;
  kind: LeaseKind;
  /** Recorded as the job's worker id (stage-1 and phase-2). */
  workerId: string;
}

/**
 * Tries once to claim the lease of `kind` for its production length ({@link OUR_LEASE_SECONDS});
 * returns the claim's outcome (`claimed` when this process now holds it).
 */
export async function tryClaimLease(options: TryClaimLeaseOptions): Promise<string> {
  const { store, kind, workerId } = options;
  const leaseSeconds = OUR_LEASE_SECONDS[kind];
  switch (kind) {
    case 'backfill':
      return (await store.backfill.tryClaim({ leaseSeconds })).outcome;
    case 'stage1':
      return (
        await store.stage1Jobs.tryClaim({
          threadId: THREAD_ID,
          workerId,
          sourceUpdatedAt: SOURCE_UPDATED_AT,
          leaseSeconds,
        })
      ).outcome;
    case 'phase2':
      return (await store.phase2Lock.tryClaim({ workerId, leaseSeconds })).outcome;
  }
}
