import type { WatchLeaseStore } from '@agent-state/state';

import type { PostgresContext } from '../store/postgres-context.js';

// PLACEHOLDER: replaced by the real implementation before this lands.
export class PostgresWatchLease implements Partial<WatchLeaseStore> {
  readonly #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }
}
