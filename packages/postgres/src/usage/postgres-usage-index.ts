import type { PostgresDerivedIndex } from '../indexing/postgres-derived-index.js';

// PLACEHOLDER: replaced by the real writer before this lands.
export const POSTGRES_USAGE_INDEX: PostgresDerivedIndex = {
  name: 'usage',
  async replace() {
    throw new Error('not written yet');
  },
};
