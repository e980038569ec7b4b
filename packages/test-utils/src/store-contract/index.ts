// The store contract test suite: every implementation of `AgentStateStore` (the SQLite store now,
// PostgreSQL next) runs it from its own tests. Import it from `@agent-state/test-utils/store-contract`.
import { describe } from 'vitest';

import { describeBackfillContract } from './backfill.contract.js';
import { describeDiscrepanciesContract } from './discrepancies.contract.js';
import { describeDynamicToolsContract } from './dynamic-tools.contract.js';
import { describeIndexWritesContract } from './index-writes.contract.js';
import { describeLifecycleContract } from './lifecycle.contract.js';
import { describeMemoriesContract } from './memories.contract.js';
import { describePhase2LockContract } from './phase2-lock.contract.js';
import { describeSearchContract } from './search.contract.js';
import { describeStage1JobsContract } from './stage1-jobs.contract.js';
import type { StoreContractFactory } from './store-contract.js';
import { describeThreadsContract } from './threads.contract.js';
import { describeUsageContract } from './usage.contract.js';
import { describeWatchLeaseContract } from './watch-lease.contract.js';

export { SAMPLE_DYNAMIC_TOOLS } from './dynamic-tools.contract.js';
export { sampleThread, sampleThreadId } from './sample-threads.js';
export type { ContractStoreHandle, StoreContractFactory } from './store-contract.js';

/**
 * Runs the whole store contract against the stores `factory` opens: threads, dynamic tools,
 * the indexer's write path, discrepancies, search, usage, the leases (watcher, backfill, stage-1
 * jobs, phase-2 lock), the memories and the store's lifecycle. Call it at the top
 * level of a test file of the implementation.
 *
 * @example
 * ```ts
 * import { openStateStore } from '@agent-state/state';
 * import { describeStoreContract } from '@agent-state/test-utils/store-contract';
 *
 * describeStoreContract({
 *   name: 'SQLite',
 *   open: ({ home, clock, holderProbe }) => openStateStore({ home, clock, holderProbe }),
 * });
 * ```
 */
export function describeStoreContract(factory: StoreContractFactory): void {
  describe(`store contract (${factory.name})`, () => {
    describeThreadsContract(factory);
    describeDynamicToolsContract(factory);
    describeIndexWritesContract(factory);
    describeDiscrepanciesContract(factory);
    describeSearchContract(factory);
    describeUsageContract(factory);
    describeWatchLeaseContract(factory);
    describeBackfillContract(factory);
    describeStage1JobsContract(factory);
    describePhase2LockContract(factory);
    describeMemoriesContract(factory);
    describeLifecycleContract(factory);
  });
}
