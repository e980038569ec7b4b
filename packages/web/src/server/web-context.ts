import type { Clock, Logger } from '@agent-state/state';

import type { HealthCache } from './health-cache.js';
import type { HomeStore } from './home-store.js';
import type { TranscriptCache } from './transcript-cache.js';
import type { WebAssets } from './web-assets.js';

/**
 * What every route of the UI reads from: the home, its store, the assets, the time, and what
 * the server keeps between requests (the last transcripts read, the last health report).
 */
export interface WebContext {
  home: string;
  store: HomeStore;
  assets: WebAssets;
  clock: Clock;
  logger: Logger;
  transcripts: TranscriptCache;
  health: HealthCache;
}
