import type { ThreadIndexStore } from '@agent-state/state';

import type { PostgresContext } from '../store/postgres-context.js';

// PLACEHOLDER: replaced by the real implementation before this lands.
export class PostgresThreadIndex implements Partial<ThreadIndexStore> {
  readonly #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }
}
