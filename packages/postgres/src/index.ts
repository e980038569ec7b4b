// @agent-state/postgres: the store contract of @agent-state/state on PostgreSQL, shared by many
// homes and machines.
export { PostgresErrorCode, StoreAuthError, StoreUnreachableError } from './errors.js';
export { type StoreServer, parseStoreUrl, redactUrl } from './connection/store-server.js';
export type { PostgresPoolOptions } from './connection/postgres-pool.js';
export type { HomeSelection } from './store/postgres-context.js';
export type { RemovedHome, StoreHome } from './homes/postgres-homes.js';
export {
  type OpenPostgresStoreOptions,
  PostgresStore,
  openPostgresStore,
} from './store/postgres-store.js';
export {
  type SyncHomeOptions,
  type SyncProgress,
  type SyncResult,
  syncHome,
} from './sync/sync-home.js';
