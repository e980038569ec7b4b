import type { Phase2LockStore } from '@agent-state/state';

import type { PostgresContext } from '../store/postgres-context.js';

// PLACEHOLDER: replaced by the real implementation before this lands.
export class PostgresPhase2Lock implements Partial<Phase2LockStore> {
  readonly #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }
}
