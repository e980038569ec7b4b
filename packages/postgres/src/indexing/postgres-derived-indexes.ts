import { POSTGRES_SEARCH_INDEX } from '../search/postgres-search-index.js';
import { POSTGRES_USAGE_INDEX } from '../usage/postgres-usage-index.js';
import type { PostgresDerivedIndex } from './postgres-derived-index.js';

/** The derived indexes of the PostgreSQL store. */
export const POSTGRES_DERIVED_INDEXES: readonly PostgresDerivedIndex[] = [
  POSTGRES_SEARCH_INDEX,
  POSTGRES_USAGE_INDEX,
];
