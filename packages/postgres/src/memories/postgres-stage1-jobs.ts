import type { Stage1JobStore } from '@agent-state/state';

import type { PostgresContext } from '../store/postgres-context.js';

// PLACEHOLDER: replaced by the real implementation before this lands.
export class PostgresStage1Jobs implements Partial<Stage1JobStore> {
  readonly #context: PostgresContext;

  constructor(context: PostgresContext) {
    this.#context = context;
  }
}
