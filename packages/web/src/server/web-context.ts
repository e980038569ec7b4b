import type { Clock, Logger } from '@agent-state/state';

import type { HealthCache } from './health-cache.js';
import type { HomeStore } from './home-store.js';
import type { SharedStoreDescription } from './shared-store.js';
import type { TranscriptCache } from './transcript-cache.js';
import type { WebAssets } from './web-assets.js';

/**
 * What every route of the UI reads from: the home, its store, the assets, the time, and what
 * the server keeps between requests (the last transcripts read, the last health report).
 */
export interface WebContext {
  home: string;
  store: HomeStore;
  /**
   * Set when `store` is shared by many homes (read across homes): the pages read its rows as they
   * are and say where each thread lives; a thread of another home is shown from its stored
   * conversation. `undefined` for the home's own store.
   */
  shared: SharedStoreDescription | undefined;
  assets: WebAssets;
  clock: Clock;
  logger: Logger;
  transcripts: TranscriptCache;
  health: HealthCache;
}
