import type { DiscrepancyStore } from '@agent-state/state';

import type { PostgresContext } from '../store/postgres-context.js';

// PLACEHOLDER: replaced by the real implementation before this lands.
export class PostgresDiscrepancies implements Partial<DiscrepancyStore> {
  readonly #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }
}
